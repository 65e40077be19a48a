"""Settings: defaults, CONFSEARCH_* environment variables, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from search_api.settings import Settings
from tests.search_api.conftest import serve


def test_defaults():
    settings = Settings()

    assert settings.index_dir == Path("index")
    assert settings.corpus_dir == Path("corpus")
    assert settings.max_k == 50
    assert settings.max_query_chars == 1000
    assert settings.cors_origins == []
    assert settings.reload_check_seconds == 1.0


def test_cors_origins_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONFSEARCH_CORS_ORIGINS", "https://a.example,https://b.example")

    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def test_cors_origins_variable_tolerates_spaces_and_empty_items(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONFSEARCH_CORS_ORIGINS", " https://a.example , ,https://b.example, ")

    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def test_cors_origins_variable_with_one_origin(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONFSEARCH_CORS_ORIGINS", "https://member.example")

    assert Settings().cors_origins == ["https://member.example"]


def test_empty_cors_origins_variable_allows_no_origin(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONFSEARCH_CORS_ORIGINS", "")

    assert Settings().cors_origins == []


def test_cors_origins_variable_reaches_the_app(monkeypatch: pytest.MonkeyPatch, shared_index: Path):
    monkeypatch.setenv("CONFSEARCH_CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("CONFSEARCH_INDEX_DIR", str(shared_index))
    monkeypatch.setenv("CONFSEARCH_MODEL", "fake")
    with serve(Settings()) as client:
        allowed = client.get("/health", headers={"Origin": "https://b.example"})
        other = client.get("/health", headers={"Origin": "https://c.example"})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://b.example"
    assert "access-control-allow-origin" not in other.headers


def test_every_field_reads_its_confsearch_variable(monkeypatch: pytest.MonkeyPatch):
    for name, value in {
        "CONFSEARCH_INDEX_DIR": "/srv/index",
        "CONFSEARCH_CORPUS_DIR": "/srv/corpus",
        "CONFSEARCH_MODEL": "fake",
        "CONFSEARCH_MAX_K": "20",
        "CONFSEARCH_MAX_QUERY_CHARS": "200",
        "CONFSEARCH_RELOAD_CHECK_SECONDS": "0",
        "CONFSEARCH_PORT": "9000",
        "CONFSEARCH_PRECISION": "fp32",
    }.items():
        monkeypatch.setenv(name, value)

    settings = Settings()

    assert settings.index_dir == Path("/srv/index")
    assert settings.corpus_dir == Path("/srv/corpus")
    assert settings.model == "fake"
    assert settings.max_k == 20
    assert settings.max_query_chars == 200
    assert settings.reload_check_seconds == 0
    assert settings.port == 9000
    assert settings.precision == "fp32"


def test_variable_names_ignore_case(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("confsearch_max_k", "7")

    assert Settings().max_k == 7


def test_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONFSEARCH_INDEX_DIR", "/srv/index")

    assert Settings(index_dir=Path("elsewhere")).index_dir == Path("elsewhere")


def test_unknown_variables_are_ignored(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONFSEARCH_NO_SUCH_SETTING", "1")

    assert Settings().max_k == 50


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONFSEARCH_PORT", "0"),
        ("CONFSEARCH_PORT", "70000"),
        ("CONFSEARCH_PRECISION", "fp16"),
        ("CONFSEARCH_MAX_K", "0"),
        ("CONFSEARCH_BATCH_SIZE", "lots"),
        ("CONFSEARCH_RELOAD_CHECK_SECONDS", "-1"),
        ("CONFSEARCH_MAX_FILE_MB", "0"),
    ],
)
def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError):
        Settings()


def test_max_file_bytes_follows_max_file_mb():
    assert Settings(max_file_mb=2).max_file_bytes == 2 * 1024 * 1024
    assert Settings(max_file_mb=0.5).max_file_bytes == 512 * 1024
