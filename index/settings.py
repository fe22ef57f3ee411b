"""The one `Settings` object: every default in one place, read from `QA_*` variables once.

Entry points (the CLI, the server) call `Settings.from_env()` once and pass the result down;
tests build `Settings(...)` directly. Nothing here loads a model or touches the network.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import BadInputError

BACKENDS = ("local", "openai", "extractive", "scripted")
EMBEDDERS = ("minilm", "hash")


@dataclass(frozen=True)
class Settings:
    # where things live
    data_dir: Path = Path(".qa")
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 switches to a Chroma server
    collection: str = "articles"
    # indexing
    embedder: str = "minilm"
    chunk_tokens: int = 128
    # answering
    backend: str = "local"
    model: str = "qwen2.5-1.5b"  # a name from index.models.MODELS, or a path to a .gguf file
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: str = "not-needed"
    k: int = 6
    threads: int = 2
    max_answer_tokens: int = 200
    # serving
    host: str = "127.0.0.1"
    port: int = 7860
    api_token: str | None = None
    allow_no_token: bool = False  # serve the API without a token on a non-loopback address
    allowed_origins: tuple[str, ...] = ()
    admin: bool = False
    queue_size: int = 8
    scripted_answers: tuple[str, ...] = field(default=(), repr=False)

    models_dir: Path | None = None  # joined model files; default <data_dir>/models

    @property
    def model_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then `QA_<FIELD>` variables, then explicit overrides (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"QA_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, str(f.type), raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise BadInputError(f"Unknown backend {self.backend!r}: use one of {', '.join(BACKENDS)}.")
        if self.embedder not in EMBEDDERS:
            raise BadInputError(f"Unknown embedder {self.embedder!r}: use one of {', '.join(EMBEDDERS)}.")
        if not 32 <= self.chunk_tokens <= 1024:
            raise BadInputError("QA_CHUNK_TOKENS must be between 32 and 1024.")
        if not 1 <= self.k <= 50:
            raise BadInputError("k must be between 1 and 50.")


def _parse(name: str, type_name: str, raw: str) -> object:
    try:
        if "Path" in type_name:
            return Path(raw)
        if "tuple" in type_name:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if type_name.startswith("int"):
            return int(raw)
        if type_name.startswith("bool"):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return raw
    except ValueError:
        raise BadInputError(f"QA_{name.upper()}={raw!r} is not a valid {type_name}.") from None
