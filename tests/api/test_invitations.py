"""Nobody is added to an organisation without accepting (issue 10, item 2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from tests.conftest import Account, RecordingMailer

SignUp = Any


def _invite(owner: Account, email: str, role: str = "interpreter") -> Any:
    return owner.client.post(
        f"/api/organisations/{owner.organisation_id}/invitations",
        json={"email": email, "role": role},
    )


def _member_ids(owner: Account) -> set[int]:
    members = owner.client.get(f"/api/organisations/{owner.organisation_id}/members").json()
    return {m["user_id"] for m in members}


def test_the_answer_does_not_tell_who_has_an_account(
    sign_up: SignUp, outbox: RecordingMailer
) -> None:
    olga = sign_up("olga")
    ivy = sign_up("ivy")
    known, unknown = _invite(olga, ivy.email), _invite(olga, "nobody@example.org")
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json()["detail"].replace(ivy.email, "X") == unknown.json()["detail"].replace(
        "nobody@example.org", "X"
    )
    assert {m.to for m in outbox.sent[-2:]} == {ivy.email, "nobody@example.org"}
    assert ivy.user_id not in _member_ids(olga)  # invited, not added
    pending = olga.client.get(f"/api/organisations/{olga.organisation_id}/invitations").json()
    assert sorted(i["email"] for i in pending) == ["ivy@example.org", "nobody@example.org"]


def test_only_the_invited_address_can_accept(sign_up: SignUp, outbox: RecordingMailer) -> None:
    olga, ivy, mallory = sign_up("olga"), sign_up("ivy"), sign_up("mallory")
    assert _invite(olga, ivy.email).status_code == 202
    token = outbox.token(ivy.email, "/invitations")
    stolen = mallory.client.post("/api/invitations/accept", json={"token": token})
    assert stolen.status_code == 403
    assert mallory.user_id not in _member_ids(olga)
    accepted = ivy.client.post("/api/invitations/accept", json={"token": token})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "interpreter"
    assert ivy.user_id in _member_ids(olga)
    again = ivy.client.post("/api/invitations/accept", json={"token": token})
    assert again.status_code == 410


def test_accepting_the_mailed_link_proves_the_address(
    sign_up: SignUp, outbox: RecordingMailer
) -> None:
    olga = sign_up("olga")
    ivy = sign_up("ivy", verified=False)
    _invite(olga, ivy.email)
    token = outbox.token(ivy.email, "/invitations")
    assert ivy.client.post("/api/invitations/accept", json={"token": token}).status_code == 200
    assert ivy.client.get("/api/auth/me").json()["email_verified"] is True


def test_declined_withdrawn_and_expired_invitations_add_nobody(
    sign_up: SignUp, outbox: RecordingMailer, clock: FrozenClock, platform: Platform
) -> None:
    olga, ivy = sign_up("olga"), sign_up("ivy")
    _invite(olga, ivy.email)
    declined = outbox.token(ivy.email, "/invitations")
    assert ivy.client.post("/api/invitations/decline", json={"token": declined}).status_code == 204
    assert ivy.client.post("/api/invitations/accept", json={"token": declined}).status_code == 410

    _invite(olga, ivy.email)
    withdrawn = outbox.token(ivy.email, "/invitations")
    pending = olga.client.get(f"/api/organisations/{olga.organisation_id}/invitations").json()
    url = f"/api/organisations/{olga.organisation_id}/invitations/{pending[0]['id']}"
    assert olga.client.delete(url).status_code == 204
    assert olga.client.delete(url).status_code == 404
    assert ivy.client.post("/api/invitations/accept", json={"token": withdrawn}).status_code == 410

    _invite(olga, ivy.email)
    expired = outbox.token(ivy.email, "/invitations")
    clock.advance(timedelta(days=platform.settings.invitation_days, seconds=1))
    assert ivy.client.post("/api/invitations/accept", json={"token": expired}).status_code == 410
    assert ivy.user_id not in _member_ids(olga)


def test_only_owners_invite(sign_up: SignUp, outbox: RecordingMailer) -> None:
    olga, ivy = sign_up("olga"), sign_up("ivy")
    _invite(olga, ivy.email)
    ivy.client.post(
        "/api/invitations/accept", json={"token": outbox.token(ivy.email, "/invitations")}
    )
    sent = len(outbox.sent)
    forbidden = ivy.client.post(
        f"/api/organisations/{olga.organisation_id}/invitations",
        json={"email": "x@example.org", "role": "owner"},
    )
    assert forbidden.status_code == 403
    assert len(outbox.sent) == sent


def test_bad_input_is_refused_with_a_problem(sign_up: SignUp) -> None:
    olga = sign_up("olga")
    for body in (
        {"email": "not an address", "role": "interpreter"},
        {"email": "x@example.org", "role": "emperor"},
        {"email": "x\u0000@example.org", "role": "owner"},
    ):
        response = olga.client.post(
            f"/api/organisations/{olga.organisation_id}/invitations", json=body
        )
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    bad_token = olga.client.post("/api/invitations/accept", json={"token": "x" * 40})
    assert bad_token.status_code == 410
