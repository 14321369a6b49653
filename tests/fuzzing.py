"""One platform with people in every role, for the fuzz tests of the API and the
pages: an owner with an event, an interpreter who accepted an invitation, the DPO and
an admin of the operator with two-factor sign-in on, and nobody. Built once per test
run, at import (the fuzzing changes its data as it goes); rate limits per client are
lifted, since every request comes from one test client.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import update

from interpreta.accounts.models import StaffRole, User
from interpreta.app import create_app
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from tests.conftest import PASSWORD, START, RecordingMailer

ROLES = ("owner", "interpreter", "dpo", "admin", "nobody")


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
OWNER, INTERPRETER, DPO, ADMIN = (_signed_in(APP, n) for n in ("olga", "ivan", "dora", "ada"))
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
for _staff, _role in ((DPO, StaffRole.DPO), (ADMIN, StaffRole.ADMIN)):
    with PLATFORM.transaction() as _db:
        _me = _staff.get("/api/auth/me").json()["id"]
        _db.execute(update(User).where(User.id == _me).values(staff_role=_role))
    _secret = _staff.post("/api/account/two-factor").json()["secret"]
    _staff.post("/api/account/two-factor/confirm", json={"code": pyotp.TOTP(_secret).at(START)})
COOKIES = {
    "owner": dict(OWNER.cookies),
    "interpreter": dict(INTERPRETER.cookies),
    "dpo": dict(DPO.cookies),
    "admin": dict(ADMIN.cookies),
    "nobody": {},
}
