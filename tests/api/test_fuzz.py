"""The API fuzzed with schemathesis: every operation, signed in as an owner, an
interpreter, the DPO and nobody; positive and negative cases; every check (no
server error, status codes, content types, headers and bodies conform to the
OpenAPI document); a fixed seed (issue 10, item 8). Then stateful runs per role:
sequences of calls that feed one response's IDs into the next request, along the
links schemathesis infers from the document (create an event, then change it,
add a topic, assign an interpreter...).

One platform serves the whole module (the fuzzing changes its data as it goes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS

from tests.conftest import POSTGRES_URL
from tests.fuzzing import APP, COOKIES

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="fuzzed once, on SQLite (the PostgreSQL pass repeats the rest)"
)

EXAMPLES = 12
TOKEN_OPERATIONS = {
    "/api/account/verify",
    "/api/account/password-reset/complete",
    "/api/invitations/accept",
    "/api/invitations/decline",
    "/api/privacy/public-requests/confirm",
}
"""Mailed one-time links: a token the generator makes up is rightly 410 (Gone)."""

FILE_OPERATIONS = {"/api/events/{event_id}/glossary.csv"}
"""Bodies in a format a schema cannot describe (a CSV file): a made-up one is rightly 422."""


schemathesis.openapi.format(
    "email",
    st.from_regex(r"\A[a-z][a-z0-9]{0,10}(\.[a-z0-9]{1,8}){0,2}@example\.(org|com|net)\Z"),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=list(GenerationMode), max_examples=EXAMPLES)
POSITIVE_ACCEPTANCE = next(c for c in CHECKS.get_all() if c.__name__ == "positive_data_acceptance")


def _excluded(case: Any) -> list[Any]:
    free = case.operation.path in TOKEN_OPERATIONS | FILE_OPERATIONS
    return [POSITIVE_ACCEPTANCE] if free else []


def _fuzz_as(role: str) -> Callable[..., None]:
    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(
            cookies=COOKIES[role],
            headers={"Origin": "https://testserver"},
            excluded_checks=_excluded(case),
        )

    return fuzz


test_api_as_owner = _fuzz_as("owner")
test_api_as_interpreter = _fuzz_as("interpreter")
test_api_as_dpo = _fuzz_as("dpo")
test_api_as_nobody = _fuzz_as("nobody")


def _workflow_as(role: str) -> type:
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"cookies": COOKIES[role], "headers": {"Origin": "https://testserver"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, excluded_checks=_excluded(case))

    test_case: type = Workflow.TestCase
    test_case.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=8,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    return test_case


TestWorkflowAsOwner = _workflow_as("owner")
TestWorkflowAsInterpreter = _workflow_as("interpreter")
TestWorkflowAsDpo = _workflow_as("dpo")
TestWorkflowAsNobody = _workflow_as("nobody")
