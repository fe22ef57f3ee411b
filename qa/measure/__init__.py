"""Tools that measure the product (`qa eval`, `qa bench`): apart from the answering core.

They receive the paths they read (question sets, corpora) as arguments; nothing in the answering
path imports them.
"""
