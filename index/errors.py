"""The product's exception tree.

    QAError
    ├── BadInputError           the user gave something we cannot use (HTTP 400)
    ├── IndexEmptyError         nothing indexed yet
    ├── ModelUnavailableError   a model file or model server is missing, corrupt or unreachable
    ├── StoreUnavailableError   the Chroma store cannot be opened or reached
    ├── IndexMismatchError      the index was built with another embedder: use that one or rebuild
    ├── BusyError               the answer queue is full: retry shortly (HTTP 503 + Retry-After)
    └── CancelledError          the caller stopped waiting; the answer was abandoned

Library code raises these; the edges (CLI, Gradio, HTTP) translate them. Every message says what
to do next. It lives in the bottom layer so that `index`, `qa` and `ui` can all raise and catch it.
"""


class QAError(Exception):
    """Base of every error the product raises on purpose."""


class BadInputError(QAError):
    """The user gave something we cannot use (a question, a file, an option)."""


class IndexEmptyError(QAError):
    """Nothing has been indexed yet."""


class ModelUnavailableError(QAError):
    """A model file or model server is missing, corrupt or unreachable."""


class StoreUnavailableError(QAError):
    """The Chroma store cannot be opened or reached."""


class IndexMismatchError(QAError):
    """The index was built with another embedder (name or dimension); use that one or rebuild."""


class BusyError(QAError):
    """The server's answer queue is full; the caller should retry shortly."""


class CancelledError(QAError):
    """The caller stopped waiting (Stop, a closed connection, a timeout): the answer was abandoned."""
