"""The answering pipeline's stages, each a small module with one entry point:

    rewrite → retrieve → evidence → answerable (→ judge, where enabled) → draft → verify → notes

`qa.engine` only wires them. `guard` decides which article text may reach a model or support an
answer. Thresholds live in `Settings.trust`, never here.
"""
