"""schemathesis against the app's own OpenAPI schema: whatever a client sends, no 5xx, and
every response matches the schema it documents."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from indexer.embedders.fake import FakeEmbedder
from search_api.app import create_app
from search_api.settings import Settings

EXAMPLES_PER_OPERATION = 40


def test_no_input_gives_a_server_error_and_responses_match_the_schema(shared_index, shared_corpus):
    settings_ = Settings(index_dir=shared_index, corpus_dir=shared_corpus, model="fake")
    app = create_app(settings_, FakeEmbedder())
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    cases = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case):
            nonlocal cases
            cases += 1
            response = case.call()
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        run()
    print(f"schemathesis: {cases} cases over {len(operations)} operations")
    assert cases >= 5 * len(operations)
