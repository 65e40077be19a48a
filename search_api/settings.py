"""One settings object for the API and the CLI; every field reads `CONFSEARCH_<NAME>`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from indexer.embedding import DEFAULT_MODEL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONFSEARCH_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index")
    index_dir: Path = Field(Path("index"), description="Folder holding the index generations")
    model: str = Field(
        DEFAULT_MODEL,
        description="Local sentence-transformers folder or installed model package; "
        "`fake` for the test embedder",
    )
    device: str = "cpu"
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto: bf16 where the CPU has AMX/AVX-512-BF16, else fp32"
    )
    batch_size: int = Field(32, ge=1, le=1024)
    max_file_mb: float = Field(50.0, gt=0, description="Larger files are skipped, with a reason")
    read_timeout_s: float = Field(
        60.0, gt=0, description="Seconds to read one document; slower ones are skipped"
    )
    read_memory_mb: int = Field(
        1024, ge=128, description="Memory to read one document; more is skipped, with a reason"
    )
    index_type: Literal["auto", "flat", "ivf_sq8", "hnsw_sq8"] = Field(
        "auto", description="FAISS index: auto is flat up to 50k passages, then ivf_sq8"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_k: int = Field(50, ge=1)
    max_query_chars: int = Field(1000, ge=1)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API"
    )
    reload_check_seconds: float = Field(
        1.0, ge=0, description="How often the server looks for a newly published index"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


@lru_cache
def get_settings() -> Settings:
    return Settings()
