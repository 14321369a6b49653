"""The API fuzzed with schemathesis: every operation, signed in as an owner, an
interpreter, the DPO and nobody; positive and negative cases; every check (no
server error, status codes, content types, headers and bodies conform to the
OpenAPI document); a fixed seed (issue 10, item 8).

One platform serves the whole module (the fuzzing changes its data as it goes).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from sqlalchemy import update

from interpreta.accounts.models import StaffRole, User
from interpreta.app import create_app
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from tests.conftest import PASSWORD, POSTGRES_URL, START, RecordingMailer

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="fuzzed once, on SQLite (the PostgreSQL pass repeats the rest)"
)

EXAMPLES = 20
TOKEN_OPERATIONS = {
    "/api/account/verify",
    "/api/account/password-reset/complete",
    "/api/invitations/accept",
    "/api/invitations/decline",
    "/api/privacy/public-requests/confirm",
}
"""Mailed one-time links: a token the generator makes up is rightly 410 (Gone)."""


def _platform() -> Platform:
    folder = Path(tempfile.mkdtemp(prefix="interpreta-fuzz-"))
    settings_ = Settings(
        data_dir=folder / "data",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        rate_sign_in_attempts_per_client="100000/minute",
        rate_sign_ups_per_client="100000/hour",
        rate_mails_per_client="100000/hour",
        rate_requests_per_client="100000/hour",
        _env_file=None,  # type: ignore[call-arg]
    )
    platform = Platform.start(settings_, clock=FrozenClock(START))
    platform.mailer = RecordingMailer()
    return platform


def _signed_in(app: Any, name: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    made = client.post(
        "/api/auth/signup",
        json={
            "email": f"{name}@example.org",
            "name": name.title(),
            "password": PASSWORD,
            "organisation_name": f"{name.title()} Events",
        },
    )
    assert made.status_code == 201, made.text
    return client


PLATFORM = _platform()
APP = create_app(PLATFORM)
OWNER, INTERPRETER, DPO = (_signed_in(APP, n) for n in ("olga", "ivan", "dora"))
_org = OWNER.get("/api/auth/me").json()["organisations"][0]["id"]
OWNER.post(
    f"/api/organisations/{_org}/invitations",
    json={"email": "ivan@example.org", "role": "interpreter"},
)
assert isinstance(PLATFORM.mailer, RecordingMailer)
INTERPRETER.post(
    "/api/invitations/accept",
    json={"token": PLATFORM.mailer.token("ivan@example.org", "/invitations")},
)
OWNER.post(
    f"/api/organisations/{_org}/events",
    json={
        "title": "Fuzzed summit",
        "starts_at": "2026-12-01T09:00:00+00:00",
        "ends_at": "2026-12-01T17:00:00+00:00",
        "languages": [{"code": "de"}],
    },
)
with PLATFORM.transaction() as _db:
    _db.execute(
        update(User).where(User.email == "dora@example.org").values(staff_role=StaffRole.DPO)
    )
_secret = DPO.post("/api/account/two-factor").json()["secret"]
DPO.post("/api/account/two-factor/confirm", json={"code": pyotp.TOTP(_secret).at(START)})
COOKIES = {
    "owner": dict(OWNER.cookies),
    "interpreter": dict(INTERPRETER.cookies),
    "dpo": dict(DPO.cookies),
    "nobody": {},
}

schemathesis.openapi.format(
    "email",
    st.from_regex(r"\A[a-z][a-z0-9.]{0,20}@example\.(org|com|net)\Z"),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=list(GenerationMode), max_examples=EXAMPLES)
POSITIVE_ACCEPTANCE = next(c for c in CHECKS.get_all() if c.__name__ == "positive_data_acceptance")


def _fuzz_as(role: str) -> Callable[..., None]:
    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        excluded = [POSITIVE_ACCEPTANCE] if case.operation.path in TOKEN_OPERATIONS else []
        case.call_and_validate(
            cookies=COOKIES[role],
            headers={"Origin": "https://testserver"},
            excluded_checks=excluded,
        )

    return fuzz


test_api_as_owner = _fuzz_as("owner")
test_api_as_interpreter = _fuzz_as("interpreter")
test_api_as_dpo = _fuzz_as("dpo")
test_api_as_nobody = _fuzz_as("nobody")
