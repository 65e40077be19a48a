"""One settings object for the API and the CLI; every field reads `CONFSEARCH_<NAME>`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from indexer.embedding import DEFAULT_MODEL
from search_api.query import QueryLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONFSEARCH_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index")
    index_dir: Path = Field(Path("index"), description="Folder holding the index generations")
    model: str = Field(
        DEFAULT_MODEL,
        description="Local sentence-transformers folder or installed model package; "
        "`fake` for the test embedder",
    )
    backend: Literal["auto", "bert", "transformers", "sentence-transformers"] = Field(
        "auto", description="What runs the model (indexer/embedding.py load_embedder)"
    )
    device: str = "cpu"
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto: bf16 where the CPU has AMX/AVX-512-BF16, else fp32"
    )
    query_precision: Literal["auto", "fp32", "bf16", "int8"] = Field(
        "auto",
        description="The model that embeds questions: auto is int8 for BERT models where the "
        "CPU has int8 dot products (AVX-512 VNNI, AMX), else `precision`; passages always "
        "use `precision`",
    )
    batch_size: int = Field(32, ge=1, le=1024)
    query_threads: int = Field(
        1,
        ge=1,
        le=256,
        description="torch threads of the server's model: one question is too small to share "
        "out, and idle threads spin against the request threads for the same cores",
    )
    clause_matching: Literal["pooled", "separate", "off"] = Field(
        "pooled",
        description="A long question's clauses matched one by one to sentences (descriptions "
        "in other words): their vectors pooled from the question's forward pass, or embedded "
        "separately (a little better, a forward pass of 2-5 texts), or off",
    )
    max_file_mb: float = Field(50.0, gt=0, description="Larger files are skipped, with a reason")
    read_timeout_s: float = Field(
        60.0, gt=0, description="Seconds to read one document; slower ones are skipped"
    )
    read_memory_mb: int = Field(
        1024, ge=128, description="Memory to read one document; more is skipped, with a reason"
    )
    index_type: Literal["auto", "flat", "flat_sq8", "ivf_sq8", "hnsw_sq8"] = Field(
        "auto", description="FAISS index: auto is flat_sq8 up to 50k passages, then ivf_sq8"
    )
    engine: Literal["local", "ray"] = Field(
        "local", description="Who reads and embeds changed documents: this process, or Ray"
    )
    ray_address: str | None = Field(
        None, description="Ray cluster to join (e.g. auto or HOST:6379); unset: a local Ray"
    )
    ray_embed_cpus: float = Field(1.0, gt=0, description="CPUs reserved by each embedding actor")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_k: int = Field(50, ge=1, description="Most results a search may ask for")
    max_offset: int = Field(1000, ge=0, description="Deepest a search may page")
    max_per_document: int = Field(10, ge=1, description="Most passages per grouped document")
    max_query_chars: int = Field(1000, ge=1)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API"
    )
    reload_check_seconds: float = Field(
        1.0, ge=0, description="How often the server looks for a newly published index"
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Server logs: text, or json (a JSON object a line, access lines "
        "with the request id)"
    )  # fmt: skip
    metrics_dir: Path | None = Field(
        None, description="Folder where `serve`'s worker processes keep their metrics "
        "(PROMETHEUS_MULTIPROC_DIR), emptied at start; default: a temporary folder"
    )  # fmt: skip
    api_key: SecretStr | None = Field(
        None, description="Key for the /admin endpoints (header X-API-Key); unset: admin is off"
    )
    max_upload_mb: float = Field(25.0, gt=0, description="Largest document accepted by upload")
    max_body_kb: float = Field(64.0, gt=0, description="Largest JSON request body accepted")
    rate_limit: str = Field(
        "120/minute",
        description="Searches per client IP: N/second, N/minute or N/hour; 0 or empty: no limit",
    )
    admin_key_failures: str = Field(
        "10/hour",
        description="Wrong admin keys a client may send (N/minute, N/hour); then 429, even "
        "for the right key, until the limit refills",
    )
    state_dir: Path | None = Field(
        None,
        description="Folder for what worker processes share (rate limits, admin tasks, the "
        "build lock); default beside the index folder: INDEX_DIR.state",
    )
    workers: int = Field(
        0, ge=0, le=64, description="Server processes for `serve`; 0: one per CPU core"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_no_key(cls, value):
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("rate_limit", "admin_key_failures")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError with the accepted forms
        return value.strip()

    @property
    def embedder_options(self) -> dict:
        """What `indexer.embedding.load_embedder` takes to load the configured model."""
        return {
            "model": self.model,
            "backend": self.backend,
            "device": self.device,
            "batch_size": self.batch_size,
            "precision": self.precision,
        }

    @property
    def query_limits(self) -> QueryLimits:
        return QueryLimits(self.max_k, self.max_offset, self.max_per_document, self.max_query_chars)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_kb * 1024)

    @property
    def state_path(self) -> Path:
        # Beside the index folder, not in it: replicas may serve an index folder they must
        # not write to.
        return self.state_dir or self.index_dir.with_name(self.index_dir.name + ".state")

    @property
    def admin_failure_rate(self) -> tuple[int, float] | None:
        return parse_rate(self.admin_key_failures)

    @property
    def rate(self) -> tuple[int, float] | None:
        """(requests, per seconds) of CONFSEARCH_RATE_LIMIT; None when there is no limit."""
        return parse_rate(self.rate_limit)


_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(second|minute|hour)s?)?\s*$", re.IGNORECASE)


def parse_rate(value: str | None) -> tuple[int, float] | None:
    """`120/minute` → (120, 60.0); `0` or empty → None (no limit)."""
    if value is None or not value.strip():
        return None
    match = _RATE.match(value)
    if match is None or (match.group(2) is None and int(match.group(1)) != 0):
        raise ValueError(
            f"rate limit {value!r}: write N/second, N/minute or N/hour (e.g. 120/minute), "
            "or 0 for no limit"
        )
    count = int(match.group(1))
    if count == 0:
        return None
    return count, _PERIODS[match.group(2).lower()]
