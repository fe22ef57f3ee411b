"""The one `Settings` object: every default in one place, read from `QA_*` variables once.

Entry points (the CLI, the server) call `Settings.from_env()` once and pass the result down;
tests and tools build `Settings(...)` directly, which reads no environment at all. Nested groups
(`trust`, `record_fields`, `duplicates`) are set with a double underscore:
`QA_TRUST__MIN_EVIDENCE=0.5`, `QA_RECORD_FIELDS__BODY=story,text`.
Nothing here loads a model or touches the network.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

from index.errors import BadInputError

BACKENDS = ("local", "openai", "extractive")
EMBEDDERS = ("minilm", "hash")


def comma_list(value: Any) -> Any:
    """A comma list from the environment ("a, b") as a tuple of its parts; anything else as it is."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class TrustSettings(BaseModel):
    """Thresholds of the trust layer: ranking evidence, deciding to answer, checking support.

    Each says which measurement set it. "Reuters tune" is the tuning half of
    tests/eval/reuters/questions.json over the whole archive (10,503 stories, MiniLM, k=6, 128-token
    chunks); the check half is never used to set anything."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # ranking sentence windows (qa.stages.evidence): score = coverage + weights below
    rank_dense: float = 0.3  # weight of the window's embedding similarity to the question
    rank_typed: float = 0.2  # bonus when the window offers the kind of answer asked for
    rank_about: float = 0.3  # bonus when the window is about the question's names
    rank_fit: float = 0.2  # bonus when a number is followed by the noun asked about
    # deciding to answer (qa.stages.answerable): the best typed window about the question's names
    max_missing: float = 0.2  # share (by weight) of what is asked that it may lack
    # … or this much, answered only by a model sentence that passes the check (close evidence;
    # equal to max_missing: off). Reuters tune, qwen2.5-1.5b, one window: off 0.68 / refusal 0.94,
    # 0.5 and 0.7 both 0.74 / 0.92; by the rule of max_missing (the loosest keeping refusal >= 0.9)
    max_missing_model: float = 0.7
    min_evidence: float = -1.0  # its coverage + rank_dense * dense (off: max_missing decides)
    # support (qa.stages.verify): a sentence's content words found in its quote and headline
    support_coverage: float = 0.75
    support_coverage_low: float = 0.5  # … or this much with embedding similarity below
    support_cosine: float = 0.6
    # the model's prompt (qa.stages.draft)
    # sentence windows shown to the model. Reuters tune, qwen2.5-1.5b: 1 window (181 prompt tokens
    # p50) 0.68 accuracy, 2: 0.66, 3: 0.66, 4 (366 tokens): 0.65, six whole passages (581): 0.67,
    # refusal 0.94 for all; fewer tokens, sooner first token (docs/QUALITY.md, "Prompt size")
    prompt_windows: int = 1
    # on close evidence for anything but a reason, a prompt that does not invite the model to refuse:
    # the checks decide. First for values only (Reuters tune, qwen2.5-1.5b: 3 more right of the 10
    # questions it changed); then for names and quotes too (tune: one follow-up more, nothing lost; the
    # 1.5B model declined plain answers when invited to). Reasons keep the refusal line: without it the
    # model explains false premises (docs/QUALITY.md, "Stop 19")
    open_prompt: bool = True
    prompt_passages: bool = False  # show their whole passages instead (the long prompt, for comparison)
    # a model's "not in the articles" refuses even where the evidence answers. Off: on the tuning half
    # of the Reuters set the 1.5B model said so for 32 of 134 questions the evidence answered, and
    # quoting the evidence instead kept refusal at 0.94 while accuracy rose from 0.41 to 0.65
    model_can_refuse: bool = False
    # the model's yes/no judgement of the window to answer from (qa.stages.judge; LLM backends only):
    # refuse when its probability that the window does not state the answer is above these, on plain
    # and on close evidence (1.0 turns a check off). Set for qwen2.5-1.5b on a simulation over the
    # tuning pool (the tuning half and the seen sets fresh-fresh5): the most accurate pair refusing
    # >= 0.85 there (0.58 against 0.49 for plain evidence alone). End to end on the blind fresh7 set
    # it cost 8 right answers of 98 for 2 more refusals of 30 (docs/QUALITY.md, "Stop 22"), so no
    # model is asked by default: only the models named in judge_models (QA_TRUST__JUDGE_MODELS=a,b)
    judge_plain: float = 0.6
    judge_close: float = 0.4
    judge_models: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("judge_models", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return comma_list(value)


class RecordFields(BaseModel):
    """Field names tried, in order and case-insensitively, in JSON Lines / CSV exports.

    Set with a comma list, e.g. `QA_RECORD_FIELDS__BODY=story,text`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[tuple[str, ...], NoDecode] = ("title", "headline", "name")
    date: Annotated[tuple[str, ...], NoDecode] = (
        "date",
        "published",
        "published_at",
        "pubdate",
        "publication_date",
        "time",
    )
    url: Annotated[tuple[str, ...], NoDecode] = ("url", "link", "canonical_url", "permalink")
    body: Annotated[tuple[str, ...], NoDecode] = ("body", "text", "content", "article", "story", "maintext")
    id: Annotated[tuple[str, ...], NoDecode] = ("id", "guid", "uuid", "article_id")

    @field_validator("*", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return comma_list(value)


class DuplicateSettings(BaseModel):
    """When two articles are the same story, and which kind of same story (see index.duplicates).

    Fitted with `qa.measure.duplicates.fit` on the "fit" half of tests/eval/duplicate_pairs.json
    (176 of 370 Reuters-21578 pairs labelled by a person; MiniLM int8 embedder, 128-token chunks):
    highest same-story recall whose precision stays >= 0.95 with one more false positive than
    seen; ties go to the stricter thresholds. Fit half: precision 0.98, recall 0.96; held-out
    "check" half: precision 0.955, recall 0.955 (`qa bench` re-measures both; 2026-11-22)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    neighbours: int = 6  # nearest articles (by mean vector) compared with each new article
    min_cosine: float = 0.6  # mean-vector cosine below which a neighbour is not compared (unrelated)
    identical_resemblance: float = 0.98  # word-shingle Jaccard of identical texts (same title too)
    same_story_containment: float = 0.4  # share of the shorter text's shingles the other also has
    # ... or, the same day, the share of its chunks with a close paraphrase there (another outlet's
    # write-up). Set on the seeds (two outlets, one event: 3 of 4 chunks); on the Reuters pairs it
    # adds no recall, and its same-day condition was added after it made one check-half false
    # positive (a next-day development of a story), so that rule is not held-out-tested.
    same_story_paraphrase: float = 0.75
    paraphrase_min_chunks: int = 3
    same_story_numbers: float = 0.85  # share of the shorter text's numbers the other also has
    same_story_cosine: float = 0.0  # mean-vector cosine needed too (the fit found it adds nothing)
    max_days_apart: int = 3  # an update of a story comes within days; later reports are new stories
    same_topic_cosine: float = 0.65  # lowest cosine with no unrelated pair called same_topic (fit half)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QA_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    # where things live
    data_dir: Path = Path(".qa")
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 switches to a Chroma server
    collection: str = "articles"
    models_dir: Path | None = None  # joined model files; default <data_dir>/models
    # indexing
    embedder: str = "minilm"
    embed_url: str | None = None  # an OpenAI-compatible server: http://host:port/v1 (/embeddings added)
    embed_model: str = ""  # the model name the server knows (required with embed_url)
    embed_api_key: str = "not-needed"
    embed_batch: int = 64  # texts per request to the embedding server
    embed_timeout: float = 120.0  # seconds per request before it is retried
    embed_retries: int = 3  # attempts per batch before giving up with an error
    chunk_tokens: int = 128
    max_file_mb: float = 5.0  # larger files are skipped as "too large" (a long news story is ~0.1 MB)
    record_fields: RecordFields = RecordFields()
    duplicates: DuplicateSettings = DuplicateSettings()
    # answering
    backend: str = "local"
    model: str = "qwen2.5-1.5b"  # a name from index.models.MODELS, or a path to a .gguf file
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: str = "not-needed"
    k: int = 6
    threads: int = 2
    max_answer_tokens: int = 200
    trust: TrustSettings = TrustSettings()
    # serving
    host: str = "127.0.0.1"
    port: int = 7860
    api_token: str | None = None
    allow_no_token: bool = False  # serve the API without a token on a non-loopback address
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # the address(es) readers use to reach this server, e.g. https://qa.example.org behind a proxy;
    # loopback at QA_PORT always counts. Origin checks compare against these, never the Host header.
    public_origins: Annotated[tuple[str, ...], NoDecode] = ()
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()  # extra Host names (loopback, QA_HOST kept)
    admin: bool = False
    queue_size: int = 8
    # Longest wait for the engine before "busy, retry" (503): under the soak's 30 s bound.
    queue_wait_s: float = 20.0
    # An answer running longer is stopped (503 + Retry-After): twice the slowest p95 total in the
    # README's eval table (qwen2.5-0.5b, 29.5 s, 2026-11). /api/health reports the engine as wedged
    # when one answer holds it well past this.
    answer_timeout_s: float = 60.0
    max_body_bytes: int = 1_000_000  # a 1000-character question and 20 turns of history fit 4x over

    @classmethod
    def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, *_: Any, **__: Any) -> Any:
        return (init_settings,)  # the environment is read by `from_env` only, never implicitly

    @field_validator("allowed_origins", "public_origins", "allowed_hosts", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return comma_list(value)

    @field_validator("chroma_url", "api_token", "embed_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def model_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then `QA_<FIELD>` variables, then explicit overrides (CLI flags) that are not None."""
        values = EnvSettingsSource(cls, env_prefix="QA_", env_nested_delimiter="__")()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.build(**values)

    @classmethod
    def build(cls, **values: Any) -> Settings:
        """Validated settings; a bad value is a `BadInputError` that names the variable."""
        try:
            settings = cls(**values)
        except ValidationError as e:
            first = e.errors()[0]
            name = "QA_" + "__".join(str(p) for p in first["loc"]).upper()
            raise BadInputError(f"{name}: {first['msg']} (got {first.get('input')!r}).") from None
        settings.check()
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated like the original."""
        return type(self).build(**{**self.model_dump(), **changes})

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise BadInputError(f"Unknown backend {self.backend!r}: use one of {', '.join(BACKENDS)}.")
        if self.embedder not in EMBEDDERS:
            raise BadInputError(f"Unknown embedder {self.embedder!r}: use one of {', '.join(EMBEDDERS)}.")
        if self.embed_url and not self.embed_model:
            raise BadInputError(
                "QA_EMBED_URL is set: also set QA_EMBED_MODEL to the model name the server serves."
            )
        if self.max_file_mb <= 0:
            raise BadInputError("QA_MAX_FILE_MB must be a positive number of megabytes.")
        if not 32 <= self.chunk_tokens <= 1024:
            raise BadInputError("QA_CHUNK_TOKENS must be between 32 and 1024.")
        if not 1 <= self.k <= 50:
            raise BadInputError("k must be between 1 and 50.")
        for origin in (*self.allowed_origins, *self.public_origins):
            if not re.fullmatch(r"https?://[^/\s]+", origin):
                raise BadInputError(
                    f"{origin!r} is not an origin: write scheme://host[:port] with no path, "
                    "e.g. https://portal.example.org (QA_ALLOWED_ORIGINS, QA_PUBLIC_ORIGINS)."
                )
        if self.queue_wait_s <= 0 or self.answer_timeout_s <= 0 or self.max_body_bytes < 1024:
            raise BadInputError(
                "QA_QUEUE_WAIT_S and QA_ANSWER_TIMEOUT_S must be positive, QA_MAX_BODY_BYTES at least 1024."
            )
