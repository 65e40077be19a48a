"""The per-client rate limit on search (CONFSEARCH_RATE_LIMIT): a token bucket per address."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from indexer.embedders.fake import FakeEmbedder
from search_api.app import create_app
from search_api.ratelimit import RateLimitMiddleware, TokenBuckets, client_key
from search_api.settings import Settings, parse_rate
from tests.search_api.conftest import check_error


@pytest.fixture
def limited(settings: Settings):
    """An app allowing 3 searches a minute per client; (app, client from 127.0.0.1)."""
    app = create_app(settings.model_copy(update={"rate_limit": "3/minute"}), FakeEmbedder())
    with TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 40000)) as client:
        yield app, client


def test_the_fourth_search_in_a_minute_gets_429_with_retry_after(limited):
    _, client = limited
    answers = [
        client.get("/search", params={"q": "climate"}),
        client.post("/search", json={"query": "climate"}),
        client.get("/search", params={"q": "fisheries"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]

    refused = client.post("/search", json={"query": "climate"})

    message = check_error(refused, 429, "rate_limited")
    assert "3 searches a minute" in message
    retry_after = refused.headers["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 20  # one token back in 20 s
    check_error(client.get("/search", params={"q": "climate"}), 429, "rate_limited")


def test_another_client_address_is_not_limited(limited):
    app, client = limited
    for _ in range(4):
        client.get("/search", params={"q": "climate"})
    assert client.get("/search", params={"q": "climate"}).status_code == 429

    other = TestClient(app, raise_server_exceptions=False, client=("10.0.0.2", 123))
    assert other.get("/search", params={"q": "climate"}).status_code == 200


def test_other_endpoints_are_not_limited(limited):
    _, client = limited
    for _ in range(5):
        client.get("/search", params={"q": "climate"})
    for _ in range(5):
        assert client.get("/health").status_code == 200
        assert client.get("/documents").status_code == 200


def test_a_429_is_readable_by_an_allowed_origin(settings: Settings):
    member = "https://member.example"
    update = {"rate_limit": "1/hour", "cors_origins": [member]}
    app = create_app(settings.model_copy(update=update), FakeEmbedder())
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/search", params={"q": "climate"}, headers={"Origin": member})
        refused = client.get("/search", params={"q": "climate"}, headers={"Origin": member})
    check_error(refused, 429, "rate_limited")
    assert refused.headers["access-control-allow-origin"] == member
    assert int(refused.headers["retry-after"]) > 3000


@pytest.mark.parametrize("value", ["0", "", "  ", "0/minute"])
def test_zero_or_empty_disables_the_limit(settings: Settings, value: str):
    app = create_app(settings.model_copy(update={"rate_limit": value}), FakeEmbedder())
    assert settings.model_copy(update={"rate_limit": value}).rate is None
    assert not any(m.cls is RateLimitMiddleware for m in app.user_middleware)


def test_the_default_is_120_a_minute():
    assert Settings().rate == (120, 60.0)


@pytest.mark.parametrize(
    "value, expected",
    [("120/minute", (120, 60.0)), ("10/second", (10, 1.0)), ("5000/hour", (5000, 3600.0)),
     (" 30 / Minutes ", (30, 60.0)), ("0", None), ("", None)],
)  # fmt: skip
def test_rate_values(value, expected):
    assert parse_rate(value) == expected


@pytest.mark.parametrize("value", ["120", "fast", "1/day", "-5/minute", "1.5/second", "/minute"])
def test_a_malformed_rate_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("CONFSEARCH_RATE_LIMIT", value)
    with pytest.raises(ValidationError, match="N/minute"):
        Settings()


# -- the buckets ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_at_the_rate():
    clock = Clock()
    buckets = TokenBuckets(3, 60.0, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(20.0)  # one token every 20 s
    clock.now += 10
    assert buckets.take("a") == pytest.approx(10.0)  # refused requests cost nothing
    clock.now += 10
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(20.0)
    clock.now += 3600  # a long pause refills the bucket, never beyond its size
    assert [buckets.take("a") for _ in range(4)][-1] > 0


def test_idle_clients_are_forgotten():
    clock = Clock()
    buckets = TokenBuckets(3, 60.0, clock=clock)
    for n in range(100):
        buckets.take(f"10.0.0.{n}")
    assert len(buckets) == 100
    clock.now += 61  # every bucket is full again: nothing to remember
    buckets.take("10.0.1.1")
    assert len(buckets) == 1


def test_memory_is_bounded_under_many_addresses():
    clock = Clock()
    buckets = TokenBuckets(3, 60.0, max_clients=1000, clock=clock)
    for n in range(5000):
        buckets.take(f"client-{n}")
        assert len(buckets) <= 1000
    for _ in range(3):
        buckets.take("busy")
    assert buckets.take("busy") > 0  # the most recent clients are still limited


def test_clients_are_keyed_by_address_and_ipv6_by_network():
    def key(host):
        return client_key({"client": (host, 1234)})

    assert key("10.0.0.1") != key("10.0.0.2")
    assert key("10.0.0.1") == client_key({"client": ("10.0.0.1", 9999)})  # any port
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")  # one /64
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("::ffff:10.0.0.1") == key("10.0.0.1")
    assert client_key({"client": None}) == "unknown"
    assert key("testclient") == "testclient"
