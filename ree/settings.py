"""One settings object for the whole product.

Every knob lives here, read from `REE_*` environment variables and a `.env` file, so no module has
to invent its own path or constant. Derived paths (index, models, tokenizer cache) are properties,
never separate settings, so they cannot drift apart from `home`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Names accepted by REE_LOCAL_MODEL besides a path to a .gguf file.
PACKAGED_MODELS = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b")


class Settings(BaseSettings):
    """Effective configuration. Build with `get_settings()`; override in tests with `Settings(...)`."""

    model_config = SettingsConfigDict(
        env_prefix="REE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- storage ---------------------------------------------------------------------------
    home: Path = Field(Path(".ree"), description="Data folder: index, models, caches.")
    chroma_url: str = Field("", description="Chroma server URL; empty = embedded Chroma in home.")
    collection: str = Field("ree", description="Default Chroma collection (index) name.")

    # --- language model ------------------------------------------------------------------------
    llm: Literal["local", "openai"] = Field("local", description="LLM provider.")
    llm_base_url: str = Field("", description="OpenAI-compatible server URL (REE_LLM=openai).")
    llm_model: str = Field("", description="Model name on the OpenAI-compatible server.")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key for the server, if any.")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds before an LLM call gives up.")
    local_model: str = Field(
        "qwen2.5-coder-1.5b",
        description="Packaged model name (qwen2.5-coder-1.5b | qwen2.5-coder-0.5b) or a .gguf path.",
    )
    llm_threads: int = Field(0, ge=0, description="llama.cpp threads; 0 = all cores.")
    llm_context: int = Field(4096, ge=512, description="llama.cpp context window (tokens).")
    max_answer_tokens: int = Field(350, ge=32, description="Generation cap for one answer.")
    temperature: float = Field(0.0, ge=0, le=2)

    # --- ingest --------------------------------------------------------------------------------
    chunk_tokens: int = Field(300, ge=50, le=2000, description="Target chunk size (cl100k tokens).")
    chunk_overlap: int = Field(40, ge=0, description="Tokens shared by neighbouring chunks.")
    embed_batch: int = Field(64, ge=1, le=1024, description="Texts per embedding batch.")
    embed_backend: Literal["onnx-int8", "torch"] = Field(
        "onnx-int8", description="Embedding runtime: int8 ONNX (fast) or torch fp32 (reference)."
    )
    max_file_mb: int = Field(200, ge=1, description="PDF/DOCX files larger than this fail.")
    max_text_mb: int = Field(
        20, ge=1, description="Text-type files (txt, md, csv, html) larger than this fail."
    )

    # --- retrieval and answers ---------------------------------------------------------------
    top_k: int = Field(5, ge=1, le=50, description="Passages given to the LLM.")
    candidates: int = Field(40, ge=5, le=500, description="Hits per retriever before fusion.")
    dense_weight: float = Field(1.0, ge=0, description="RRF weight of the dense retriever.")
    bm25_weight: float = Field(1.0, ge=0, description="RRF weight of the BM25 retriever.")
    max_per_doc: int = Field(3, ge=1, description="Diversity: passages per document at most.")
    min_relevance: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Below this relevance (best cosine x exact-term coverage) the engine refuses.",
    )
    rrf_k: int = Field(5, ge=1, description="Reciprocal rank fusion constant k.")
    exact_boost: float = Field(
        3.0, ge=0, description="Extra BM25 weight for queries with names, acronyms or numbers."
    )
    evidence_tokens: int = Field(
        450,
        ge=100,
        description="Token budget of the sources block shown to the LLM (labels included).",
    )
    insight_evidence_tokens: int = Field(
        300,
        ge=100,
        description="Token budget of each In-Depth Insights section's own sources block.",
    )
    insight_reused_passages: int = Field(
        2,
        ge=0,
        description="Top passages of the question's own retrieval that every later In-Depth "
        "Insights section may also draw on (the subject's core facts, seen from its angle).",
    )
    insight_quote_floor: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="An In-Depth Insights sentence verification would remove gives way to the "
        "sentence of its source it was closest to, when their words-and-meaning score reaches "
        "this (0 = remove it).",
    )
    fuller_sentences: bool = Field(
        True,
        description="A sentence of a brief answer or an In-Depth Insights bullet that leaves "
        "out names or figures of the one source sentence it paraphrases is shown as that source "
        "sentence.",
    )
    section_tokens: int = Field(
        160, ge=40, description="Generation cap per In-Depth Insights section or brief part."
    )
    section_bullets: int = Field(
        3,
        ge=1,
        le=4,
        description="Bullets written per In-Depth Insights section: the generation stops "
        "where the next one would start.",
    )
    brief_summary: Literal["extractive", "written"] = Field(
        "extractive",
        description="A document brief's News Summary: its key sentences, or written by the LLM.",
    )
    brief_background: Literal["extractive", "written"] = Field(
        "extractive",
        description="A document brief's Background: other documents' key sentences, or written.",
    )
    lenses_file: Path | None = Field(
        None, description="YAML file of insight lenses (default: prompts/lenses.yaml)."
    )
    prompts_dir: Path | None = Field(None, description="Prompt files folder (default: ./prompts).")
    condense: Literal["auto", "llm", "rules"] = Field(
        "auto", description="How follow-ups become standalone questions."
    )
    unsupported: Literal["remove", "mark"] = Field(
        "remove", description="What verification does with unsupported sentences."
    )

    # --- UI ------------------------------------------------------------------------------------
    ui_host: str = Field("127.0.0.1", description="Host the chat UI listens on.")
    ui_port: int = Field(7860, ge=1, le=65535)
    ui_auth: SecretStr = Field(SecretStr(""), description="user:password, required off localhost.")
    ui_allow_open: bool = Field(False, description="Allow a non-local host without auth.")
    ui_concurrency: int = Field(4, ge=1, le=64, description="Parallel chat requests.")
    max_upload_mb: int = Field(50, ge=1)

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("chroma_url", "llm_base_url", mode="after")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https:// (got {value!r})")
        return value.rstrip("/")

    @field_validator("local_model", mode="after")
    @classmethod
    def _check_local_model(cls, value: str) -> str:
        if value in PACKAGED_MODELS or value.endswith(".gguf"):
            return value
        raise ValueError(
            f"must be one of {', '.join(PACKAGED_MODELS)} or a path ending in .gguf (got {value!r})"
        )

    @field_validator("ui_auth", mode="after")
    @classmethod
    def _check_auth(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw and (":" not in raw or raw.startswith(":") or raw.endswith(":")):
            raise ValueError("must look like user:password")
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.llm == "openai" and not self.llm_base_url:
            raise ValueError(
                "REE_LLM=openai needs REE_LLM_BASE_URL (e.g. http://localhost:11434/v1)"
            )
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("REE_CHUNK_OVERLAP must be smaller than REE_CHUNK_TOKENS")
        return self

    # --- derived paths -----------------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        """Embedded Chroma data and the BM25 index sit side by side here."""
        return self.home / "index"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def tiktoken_dir(self) -> Path:
        return self.home / "tiktoken"

    @property
    def prompts_path(self) -> Path:
        return self.prompts_dir or Path(__file__).resolve().parents[1] / "prompts"

    @property
    def lenses_path(self) -> Path:
        return self.lenses_file or self.prompts_path / "lenses.yaml"

    @property
    def eval_dir(self) -> Path:
        return self.home / "eval"

    def masked(self) -> dict[str, str]:
        """The effective settings as strings, secrets masked, for `ree config`.

        URLs are masked too: `http://user:token@host/v1` is a common way to pass a key, and
        `ree config` output gets pasted into bug reports.
        """
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown = "****" if value.get_secret_value() else ""
            elif name in _URL_FIELDS:
                shown = _mask_url(value)
            else:
                shown = "" if value is None else str(value)  # unset reads as unset, not "None"
            out[f"REE_{name.upper()}"] = shown
        return out


_URL_FIELDS = ("chroma_url", "llm_base_url")


def _mask_url(url: str) -> str:
    """Hide the password part of `scheme://user:password@host...`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:****@{host}"))


class SettingsError(ValueError):
    """Invalid configuration; the message names the setting to fix."""


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's validation report into one readable message."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            # Field errors get the variable's name; cross-field ones already name both variables.
            lines.append(f"REE_{loc.upper()}: {msg}" if loc else msg)
        raise SettingsError("invalid configuration: " + "; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call `get_settings.cache_clear()` after changing env)."""
    return load_settings()
