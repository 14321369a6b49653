"""A person's own account: proving the address, changing it, passwords, two-factor
sign-in and signed-in browsers (issue 10, items 1 and 9)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from tests.conftest import PASSWORD, Account, RecordingMailer, make_staff

SignUp = Any


def _exported(account: Account) -> str:
    """Everything in the signed-in person's access export, as one text."""
    response = account.client.get("/api/privacy/me/export.zip")
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def _billing_contact(owner: Account, email: str) -> None:
    patched = owner.client.patch(
        f"/api/organisations/{owner.organisation_id}",
        json={"billing_contact_name": "Vera Victim", "billing_contact_email": email},
    )
    assert patched.status_code == 200, patched.text


def test_an_unproven_address_leads_nowhere_until_its_link_is_followed(
    sign_up: SignUp, outbox: RecordingMailer, platform: Platform
) -> None:
    owner = sign_up("olga")
    _billing_contact(owner, "vera@example.org")
    impostor = sign_up("vera", verified=False)
    assert impostor.client.get("/api/auth/me").json()["email_verified"] is False
    assert "Vera Victim" not in _exported(impostor)
    assert "Vera Victim" not in impostor.client.get("/api/privacy/me/report").text
    erasure = impostor.client.post("/api/privacy/requests", json={"kind": "erasure"})
    assert erasure.status_code == 201, erasure.text
    dpo = sign_up("dora")
    make_staff(platform, dpo)
    request = erasure.json()
    for part in request["parts"]:
        executed = dpo.client.post(
            f"/api/privacy/requests/{request['id']}/parts/{part['id']}/execute", json={}
        )
        assert executed.status_code == 200, executed.text
    organisation = owner.client.get(f"/api/organisations/{owner.organisation_id}").json()
    assert organisation["billing_contact_email"] == "vera@example.org"  # not the impostor's

    impostor = sign_up("vera", verified=False)

    token = outbox.token("vera@example.org", "/account/verify")
    proved = impostor.client.post("/api/account/verify", json={"token": token})
    assert proved.status_code == 200, proved.text
    assert impostor.client.get("/api/auth/me").json()["email_verified"] is True
    assert "Vera Victim" in _exported(impostor)
    again = impostor.client.post("/api/account/verify", json={"token": token})
    assert again.status_code == 410 and again.headers["content-type"] == "application/problem+json"


def test_a_verification_link_expires(
    sign_up: SignUp, outbox: RecordingMailer, clock: FrozenClock, platform: Platform
) -> None:
    ann = sign_up("ann", verified=False)
    token = outbox.token(ann.email, "/account/verify")
    clock.advance(timedelta(hours=platform.settings.account_link_hours, seconds=1))
    assert ann.client.post("/api/account/verify", json={"token": token}).status_code == 410
    resent = ann.client.post("/api/account/verification")
    assert resent.status_code == 202
    fresh = outbox.token(ann.email, "/account/verify")
    assert ann.client.post("/api/account/verify", json={"token": fresh}).status_code == 200


def test_a_look_alike_or_taken_address_is_refused(sign_up: SignUp, app_client: TestClient) -> None:
    sign_up("paypal")
    for email in ("p\u0430ypal@example.org", "PAYPAL@example.org", "\uff50aypal@example.org"):
        response = app_client.post(
            "/api/auth/signup",
            json={
                "email": email,
                "name": "Mallory",
                "password": PASSWORD,
                "organisation_name": "Mallory Ltd",
            },
        )
        assert response.status_code == 409, (email, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_a_change_of_address_takes_effect_once_proven(
    sign_up: SignUp, outbox: RecordingMailer
) -> None:
    ann = sign_up("ann")
    sign_up("bob")
    wrong = ann.client.put(
        "/api/account/email", json={"email": "ann@example.net", "password": "not it"}
    )
    assert wrong.status_code == 422
    taken = ann.client.put(
        "/api/account/email", json={"email": "b\u043eb@example.org", "password": PASSWORD}
    )
    assert taken.status_code == 409  # looks like bob's
    asked = ann.client.put(
        "/api/account/email", json={"email": "Ann@Example.net", "password": PASSWORD}
    )
    assert asked.status_code == 202, asked.text
    assert any(m.to == "ann@example.org" and "about to change" in m.subject for m in outbox.sent)
    me = ann.client.get("/api/auth/me").json()
    assert (me["email"], me["email_verified"]) == ("ann@example.org", True)
    token = outbox.token("ann@example.net", "/account/verify")
    assert ann.client.post("/api/account/verify", json={"token": token}).status_code == 200
    me = ann.client.get("/api/auth/me").json()
    assert (me["email"], me["email_verified"]) == ("ann@example.net", True)


def test_password_reset_by_mailed_link_ends_every_session(
    sign_up: SignUp, outbox: RecordingMailer, app_client: TestClient
) -> None:
    ann = sign_up("ann")
    before = len(outbox.sent)
    for email in ("ann@example.org", "nobody@example.org"):
        asked = app_client.post("/api/account/password-reset", json={"email": email})
        assert asked.status_code == 202
        assert asked.json() == {
            "detail": "If an account has this address, a link is on its way to it."
        }
    assert [m.to for m in outbox.sent[before:]] == ["ann@example.org"]
    token = outbox.token("ann@example.org", "/account/reset")
    short = app_client.post(
        "/api/account/password-reset/complete", json={"token": token, "password": "short"}
    )
    assert short.status_code == 422
    done = app_client.post(
        "/api/account/password-reset/complete",
        json={"token": token, "password": "a brand new passphrase"},
    )
    assert done.status_code == 204
    assert ann.client.get("/api/auth/me").status_code == 401  # signed out everywhere
    reused = app_client.post(
        "/api/account/password-reset/complete",
        json={"token": token, "password": "another new passphrase"},
    )
    assert reused.status_code == 410
    old = app_client.post("/api/auth/login", json={"email": ann.email, "password": PASSWORD})
    assert old.status_code == 401
    new = app_client.post(
        "/api/auth/login", json={"email": ann.email, "password": "a brand new passphrase"}
    )
    assert new.status_code == 200


def test_changing_the_password_signs_out_other_browsers(
    sign_up: SignUp, platform: Platform
) -> None:
    ann = sign_up("ann")
    from interpreta.app import create_app

    with TestClient(create_app(platform), base_url="https://testserver") as laptop:
        laptop.post("/api/auth/login", json={"email": ann.email, "password": PASSWORD})
        assert laptop.get("/api/auth/me").status_code == 200
        changed = ann.client.put(
            "/api/account/password",
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        )
        assert changed.status_code == 204
        assert laptop.get("/api/auth/me").status_code == 401
        assert ann.client.get("/api/auth/me").status_code == 200


def test_sessions_are_listed_and_revocable(sign_up: SignUp, platform: Platform) -> None:
    ann = sign_up("ann")
    from interpreta.app import create_app

    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    with TestClient(
        create_app(platform), base_url="https://testserver", headers={"user-agent": firefox}
    ) as laptop:
        laptop.post("/api/auth/login", json={"email": ann.email, "password": PASSWORD})
        listed = ann.client.get("/api/account/sessions").json()
        assert len(listed) == 2
        other = next(s for s in listed if not s["current"])
        assert other["device"] == "Firefox 128 on Linux"
        assert ann.client.delete(f"/api/account/sessions/{other['id']}").status_code == 204
        assert laptop.get("/api/auth/me").status_code == 401
        assert ann.client.delete(f"/api/account/sessions/{other['id']}").status_code == 404
        assert [s["current"] for s in ann.client.get("/api/account/sessions").json()] == [True]


def test_two_factor_sign_in(sign_up: SignUp, app_client: TestClient, clock: FrozenClock) -> None:
    ann = sign_up("ann")
    secret = ann.client.post("/api/account/two-factor").json()["secret"]
    totp = pyotp.TOTP(secret)
    wrong = ann.client.post("/api/account/two-factor/confirm", json={"code": "000000"})
    assert wrong.status_code == 422
    code = totp.at(clock.now())
    assert (
        ann.client.post("/api/account/two-factor/confirm", json={"code": code}).status_code == 204
    )
    assert ann.client.get("/api/auth/me").json()["two_factor"] is True

    credentials = {"email": ann.email, "password": PASSWORD}
    bare = app_client.post("/api/auth/login", json=credentials)
    assert bare.status_code == 401 and bare.json()["type"] == "/problems/two-factor-required"
    clock.advance(timedelta(seconds=30))
    code = totp.at(clock.now())
    signed_in = app_client.post("/api/auth/login", json={**credentials, "code": code})
    assert signed_in.status_code == 200, signed_in.text
    replayed = app_client.post("/api/auth/login", json={**credentials, "code": code})
    assert replayed.status_code == 401  # a code works once
    clock.advance(timedelta(seconds=30))
    off = ann.client.post("/api/account/two-factor/disable", json={"code": totp.at(clock.now())})
    assert off.status_code == 204
    assert app_client.post("/api/auth/login", json=credentials).status_code == 200


def test_staff_roles_count_only_with_two_factor_sign_in(
    sign_up: SignUp, platform: Platform, clock: FrozenClock
) -> None:
    from sqlalchemy import update

    from interpreta.accounts.models import StaffRole, User

    dora = sign_up("dora")
    with platform.transaction() as db:
        db.execute(update(User).where(User.id == dora.user_id).values(staff_role=StaffRole.DPO))
    assert dora.client.get("/api/privacy/queue").status_code == 403
    secret = make_staff(platform, dora)
    assert dora.client.get("/api/privacy/queue").status_code == 200
    clock.advance(timedelta(seconds=30))
    code = pyotp.TOTP(secret).at(clock.now())
    refused = dora.client.post("/api/account/two-factor/disable", json={"code": code})
    assert refused.status_code == 403
