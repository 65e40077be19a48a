"""Every failure has one shape, {"error": {"code": str, "message": str}}, a status that says
what went wrong and a message a person can act on; no input gives a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.embedders.fake import FakeEmbedder
from indexer.fields import FILTERS as FILTER_FIELDS
from search_api.settings import Settings
from tests.search_api.conftest import check_error, serve

# -- POST /search --------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\n\t ", "\u200b\u200b", "\ufeff \u2060"])
def test_empty_query_is_rejected(client: TestClient, query: str):
    message = check_error(client.post("/search", json={"query": query}), 422, "invalid_request")

    assert "empty" in message


@pytest.mark.parametrize("k", [0, -1, 51, 1000])
def test_k_out_of_range_is_rejected(client: TestClient, k: int):
    message = check_error(
        client.post("/search", json={"query": "climate", "k": k}), 422, "invalid_request"
    )

    assert "k" in message


def test_k_at_the_limits_is_accepted(client: TestClient):
    for k in (1, 50):
        response = client.post("/search", json={"query": "climate", "k": k})
        assert response.status_code == 200
        assert len(response.json()["results"]) == k


@pytest.mark.parametrize("offset", [-1, 1001])
def test_offset_out_of_range_is_rejected(client: TestClient, offset: int):
    response = client.post("/search", json={"query": "climate", "offset": offset})

    assert "offset" in check_error(response, 422, "invalid_request")


def test_unknown_filter_field_names_the_allowed_fields(client: TestClient):
    response = client.post("/search", json={"query": "climate", "filters": {"colour": "red"}})

    message = check_error(response, 422, "invalid_request")
    assert "colour" in message
    for name in FILTER_FIELDS:
        assert name in message


@pytest.mark.parametrize("bounds", [{"from": 2015}, {"gte": 2015, "upto": 2019}, {}])
def test_bad_range_operator_is_rejected(client: TestClient, bounds: dict):
    response = client.post("/search", json={"query": "climate", "filters": {"year": bounds}})

    message = check_error(response, 422, "invalid_request")
    assert "gte" in message and "lte" in message


@pytest.mark.parametrize(
    "year", ["abc", ["2019", "abc"], {"gte": "abc"}, "", 2019.5, None, [[2019]]]
)
def test_year_that_is_not_a_whole_number_is_rejected(client: TestClient, year):
    response = client.post("/search", json={"query": "climate", "filters": {"year": year}})

    message = check_error(response, 422, "invalid_request")
    assert "year" in message


def test_empty_list_of_filter_values_is_rejected(client: TestClient):
    response = client.post("/search", json={"query": "climate", "filters": {"country": []}})

    assert "empty" in check_error(response, 422, "invalid_request")


def test_empty_string_filter_value_is_rejected(client: TestClient):
    response = client.post("/search", json={"query": "climate", "filters": {"country": " "}})

    assert "empty" in check_error(response, 422, "invalid_request")


@pytest.mark.parametrize("field", ["year", "country"])
def test_boolean_filter_value_is_rejected(client: TestClient, field: str):
    # true is neither a year nor a country; it must not be read as the number 1.
    response = client.post("/search", json={"query": "climate", "filters": {field: True}})

    assert field in check_error(response, 422, "invalid_request")


@pytest.mark.parametrize(
    "filters", [{"year": 10**20}, {"year": [2019, 10**20]}, {"year": {"gte": -(10**20)}}]
)
def test_year_too_large_for_the_index_is_rejected_not_a_crash(client: TestClient, filters):
    response = client.post("/search", json={"query": "climate", "filters": filters})

    assert response.status_code != 500, response.text
    check_error(response, 422, "invalid_request")


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"year": {"between": [2015, 2019]}}, ["gte"]),
        ({"year": True}, ["filters.year", "a number or text"]),
        ({"year": {"gte": 2015.5}}, ["filters.year", "range"]),
    ],
)
def test_a_filter_of_the_wrong_shape_gets_one_plain_message(client: TestClient, filters, words):
    # pydantic's reason for each member of the union read as a type dump
    message = check_error(
        client.post("/search", json={"query": "climate", "filters": filters}), 422
    )

    for word in words:
        assert word in message
    assert "dict[" not in message and ".int" not in message and ".str" not in message


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"year": {"gte": 2020, "lte": 2010}}, ["year", "no value"]),
        ({"date": "yesterday"}, ["date", "1990-08-06"]),
        ({"date": {"gte": "2019-13-45"}}, ["date", "2019-13-45"]),
        ({"date": {"gte": "1990-09", "lt": "1990-08-15"}}, ["date", "no day"]),
        ({"vote": {"gte": 1}}, ["vote", "not a range"]),
        ({"country": "Narnia"}, ["country", "Narnia"]),
    ],
)
def test_a_filter_that_can_match_nothing_is_an_error_not_an_empty_page(
    client: TestClient, filters, words
):
    message = check_error(
        client.post("/search", json={"query": "climate", "filters": filters}), 422
    )

    for word in words:
        assert word in message


def test_get_search_year_from_after_year_to_is_an_error(client: TestClient):
    response = client.get("/search", params={"q": "climate", "year_from": 2020, "year_to": 2010})

    assert "year" in check_error(response, 422, "invalid_request")


def test_malformed_json_body_is_rejected(client: TestClient):
    response = client.post(
        "/search", content=b'{"query": "climate",', headers={"content-type": "application/json"}
    )

    assert "JSON" in check_error(response, 422, "invalid_request")


@pytest.mark.parametrize("body", [b"[1, 2]", b'"climate"', b"42"])
def test_body_that_is_not_an_object_is_rejected(client: TestClient, body: bytes):
    response = client.post("/search", content=body, headers={"content-type": "application/json"})

    check_error(response, 422, "invalid_request")


@pytest.mark.parametrize(
    "request_args",
    [
        {"data": {"query": "climate"}},
        {"content": b'{"query": "climate"}', "headers": {"content-type": "text/plain"}},
    ],
)
def test_a_body_that_is_not_json_says_to_send_json(client: TestClient, request_args: dict):
    response = client.post("/search", **request_args)

    message = check_error(response, 422, "invalid_request")
    assert "JSON object" in message and "application/json" in message


@pytest.mark.parametrize(("field", "value"), [("k", True), ("k", "3"), ("offset", False),
                                              ("facets", "yes"), ("understand", 1)])  # fmt: skip
def test_numbers_and_switches_must_have_their_json_type(client: TestClient, field, value):
    # true is not k=1, "3" is text: a client that sends them has a bug worth hearing of
    response = client.post("/search", json={"query": "climate", field: value})

    assert field in check_error(response, 422, "invalid_request")


def test_missing_query_is_rejected_naming_the_query(client: TestClient):
    message = check_error(client.post("/search", json={"k": 3}), 422, "invalid_request")

    assert "query" in message


def test_missing_body_is_rejected_with_a_message_that_says_what_is_missing(client: TestClient):
    message = check_error(client.post("/search"), 422, "invalid_request")

    assert "body" in message or "query" in message


def test_query_that_is_not_a_string_is_rejected_naming_the_query(client: TestClient):
    message = check_error(client.post("/search", json={"query": 5}), 422, "invalid_request")

    assert "query" in message


def test_unknown_top_level_field_is_rejected(client: TestClient):
    response = client.post("/search", json={"query": "climate", "limit": 5})

    assert "limit" in check_error(response, 422, "invalid_request")


def test_filters_that_are_not_an_object_are_rejected(client: TestClient):
    response = client.post("/search", json={"query": "climate", "filters": ["country=TUV"]})

    assert "filters" in check_error(response, 422, "invalid_request")


def test_query_longer_than_the_maximum_is_rejected(client: TestClient):
    response = client.post("/search", json={"query": "a" * 1001})

    assert "1000" in check_error(response, 422, "invalid_request")


def test_query_of_the_maximum_length_is_accepted(client: TestClient):
    response = client.post("/search", json={"query": "climate " * 125})

    assert response.status_code == 200


def test_query_with_an_unpaired_surrogate_is_rejected_not_a_crash(client: TestClient):
    # JSON allows "\ud800"; it is no text and cannot be encoded in the response.
    response = client.post(
        "/search",
        content=b'{"query": "climate \\ud800"}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code != 500, response.text
    check_error(response, 422, "invalid_request")


def test_limits_come_from_the_settings(settings: Settings):
    limited = settings.model_copy(update={"max_k": 5, "max_query_chars": 20})
    with serve(limited) as client:
        too_many = client.post("/search", json={"query": "climate", "k": 6})
        too_long = client.get("/search", params={"q": "climate change in the pacific"})
        fine = client.post("/search", json={"query": "climate", "k": 5})

    assert "5" in check_error(too_many, 422, "invalid_request")
    assert "20" in check_error(too_long, 422, "invalid_request")
    assert fine.status_code == 200 and len(fine.json()["results"]) == 5


# -- GET /search ---------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", "   "])
def test_get_search_empty_query_is_rejected(client: TestClient, q: str):
    response = client.get("/search", params={"q": q})

    assert "empty" in check_error(response, 422, "invalid_request")


def test_get_search_missing_q_is_rejected(client: TestClient):
    message = check_error(client.get("/search", params={"k": 3}), 422, "invalid_request")

    assert "q" in message and "required" in message


@pytest.mark.parametrize(
    "params",
    [
        {"q": "climate", "k": 0},
        {"q": "climate", "k": 51},
        {"q": "climate", "k": "ten"},
        {"q": "climate", "offset": -1},
        {"q": "climate", "year": "abc"},
        {"q": "climate", "year_from": "2015a"},
        {"q": "climate", "year": 2019, "year_from": 2015},
        {"q": "climate", "year": 2019, "year_to": 2020},
        {"q": "a" * 1001},
    ],
)
def test_get_search_bad_parameters_are_rejected(client: TestClient, params: dict):
    check_error(client.get("/search", params=params), 422, "invalid_request")


def test_get_search_year_too_large_is_rejected_not_a_crash(client: TestClient):
    response = client.get("/search", params={"q": "climate", "year": 10**20})

    assert response.status_code != 500, response.text
    check_error(response, 422, "invalid_request")


# -- documents -----------------------------------------------------------------------------


def test_unknown_document_is_not_found(client: TestClient):
    message = check_error(client.get("/documents/no-such-document"), 404, "not_found")

    assert "no-such-document" in message


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"year": "abc"}])
def test_documents_bad_parameters_are_rejected(client: TestClient, params: dict):
    check_error(client.get("/documents", params=params), 422, "invalid_request")


@pytest.mark.parametrize("params", [{"offset": 10**20}, {"year": 10**20}])
def test_documents_huge_numbers_are_rejected_not_a_crash(client: TestClient, params: dict):
    response = client.get("/documents", params=params)

    assert response.status_code != 500, response.text
    check_error(response, 422, "invalid_request")


def test_include_text_that_is_not_a_boolean_is_rejected(client: TestClient):
    response = client.get("/documents/ungdc-pacific-tuv_74_2019-txt?include_text=maybe")

    check_error(response, 422, "invalid_request")


# -- paths and methods ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/search/extra", "/documents/a/b", "/documents/a/b/c"])
def test_unknown_path_is_not_found_in_the_error_shape(client: TestClient, path: str):
    message = check_error(client.get(path), 404, "not_found")

    assert path in message


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/search"),
        ("PUT", "/search"),
        ("POST", "/health"),
        ("POST", "/documents"),
        ("DELETE", "/documents/ungdc-pacific-tuv_74_2019-txt"),
    ],
)
def test_wrong_method_is_not_allowed_in_the_error_shape(client: TestClient, method, path):
    response = client.request(method, path)

    check_error(response, 405, "method_not_allowed")


# -- no index ------------------------------------------------------------------------------


@pytest.fixture(params=["empty", "missing"])
def unindexed_client(request, tmp_path: Path):
    index_dir = tmp_path / "index"
    if request.param == "empty":
        index_dir.mkdir()
    with serve(Settings(index_dir=index_dir, model="fake")) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/search", {"query": "climate"}),
        ("GET", "/search?q=climate", None),
        ("GET", "/health", None),
        ("GET", "/documents", None),
        ("GET", "/documents/ungdc-pacific-tuv_74_2019-txt", None),
    ],
)
def test_without_an_index_the_api_is_unavailable_and_says_to_index(
    unindexed_client: TestClient, method: str, path: str, body
):
    response = unindexed_client.request(method, path, json=body)

    message = check_error(response, 503, "unavailable")
    assert "confsearch index" in message


def test_index_built_with_another_model_makes_the_api_unavailable(settings: Settings):
    with serve(settings, FakeEmbedder(dimension=32)) as client:
        response = client.post("/search", json={"query": "climate"})

    message = check_error(response, 503, "unavailable")
    assert "fake-64" in message and "fake-32" in message


def test_a_max_k_above_fifty_is_honoured_by_post_and_get(settings: Settings):
    wider = settings.model_copy(update={"max_k": 80})
    with serve(wider) as client:
        posted = client.post("/search", json={"query": "climate", "k": 80, "mode": "semantic"})
        got = client.get("/search", params={"q": "climate", "k": 80, "mode": "semantic"})
        refused = client.post("/search", json={"query": "climate", "k": 81})

    assert posted.status_code == 200, posted.text
    assert len(posted.json()["results"]) == 80
    assert got.status_code == 200, got.text
    assert [r["id"] for r in got.json()["results"]] == [r["id"] for r in posted.json()["results"]]
    assert "80" in check_error(refused, 422, "invalid_request")
