"""The account pages work without JavaScript: forms post, pages say what happened."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from interpreta.clock import FrozenClock
from tests.conftest import PASSWORD, RecordingMailer

SignUp = Any


def test_following_a_verification_link_asks_then_confirms(
    sign_up: SignUp, outbox: RecordingMailer, app_client: TestClient
) -> None:
    ann = sign_up("ann", verified=False)
    assert "not confirmed yet" in ann.client.get("/account").text
    token = outbox.token(ann.email, "/account/verify")
    page = app_client.get(f"/account/verify?token={token}")
    assert page.status_code == 200 and "Confirm my address" in page.text
    assert "not confirmed yet" in ann.client.get("/account").text  # a GET changes nothing
    done = app_client.post("/account/verify", data={"token": token})
    assert done.status_code == 200 and "is confirmed as yours" in done.text
    again = app_client.post("/account/verify", data={"token": token})
    assert again.status_code == 410 and "used or has expired" in again.text
    assert "not confirmed yet" not in ann.client.get("/account").text


def test_forgotten_password_pages(
    sign_up: SignUp, outbox: RecordingMailer, app_client: TestClient
) -> None:
    ann = sign_up("ann")
    sent = app_client.post("/account/forgot", data={"email": ann.email})
    assert sent.status_code == 200 and "If an account has this address" in sent.text
    token = outbox.token(ann.email, "/account/reset")
    assert "New password" in app_client.get(f"/account/reset?token={token}").text
    short = app_client.post("/account/reset", data={"token": token, "password": "short"})
    assert short.status_code == 422
    done = app_client.post(
        "/account/reset", data={"token": token, "password": "a brand new passphrase"}
    )
    assert done.status_code == 200 and "Your new password is set" in done.text
    assert ann.client.get("/api/auth/me").status_code == 401
    bad = app_client.post("/account/forgot", data={"email": "no at sign"})
    assert bad.status_code == 422


def test_invitation_page_accepts_for_the_invited_address_only(
    sign_up: SignUp, outbox: RecordingMailer, app_client: TestClient
) -> None:
    olga, ivy = sign_up("olga"), sign_up("ivy")
    olga.client.post(
        f"/api/organisations/{olga.organisation_id}/invitations",
        json={"email": ivy.email, "role": "organiser"},
    )
    token = outbox.token(ivy.email, "/invitations")
    anonymous = app_client.get(f"/invitations?token={token}")
    assert "Olga Events" in anonymous.text and "an organiser" in anonymous.text
    assert 'value="accept"' not in anonymous.text  # sign in first
    refused = app_client.post("/invitations", data={"token": token, "answer": "accept"})
    assert refused.status_code == 401
    page = ivy.client.get(f"/invitations?token={token}")
    assert 'value="accept"' in page.text
    joined = ivy.client.post("/invitations", data={"token": token, "answer": "accept"})
    assert joined.status_code == 200 and "You joined Olga Events" in joined.text
    assert ivy.client.get(f"/invitations?token={token}").status_code == 410


def test_account_page_sets_up_two_factor_and_ends_sessions(
    sign_up: SignUp, clock: FrozenClock, platform: Any
) -> None:
    from interpreta.app import create_app

    ann = sign_up("ann")
    with TestClient(create_app(platform), base_url="https://testserver") as laptop:
        laptop.post("/api/auth/login", json={"email": ann.email, "password": PASSWORD})
        page = ann.client.get("/account")
        assert page.text.count('/end">') == 1  # the laptop can be signed out from here
        setup = ann.client.post("/account/two-factor")
        assert "Code from the app" in setup.text
        found = re.search(r"<code>([A-Z2-7 ]+)</code>", setup.text)
        assert found and 'href="otpauth://totp/' in setup.text
        secret = found.group(1).replace(" ", "")
        wrong = ann.client.post("/account/two-factor/confirm", data={"code": "000000"})
        assert wrong.status_code == 422
        on = ann.client.post(
            "/account/two-factor/confirm",
            data={"code": pyotp.TOTP(secret).at(clock.now())},
            follow_redirects=False,
        )
        assert on.status_code == 303
        assert laptop.get("/api/auth/me").status_code == 401  # signed in without the code
        assert "On: signing in asks for a code" in ann.client.get("/account").text
