"""Requests end to end: intake, routing (P01), deadlines (P34), marks (P31-P33), audit."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from interpreta.accounts.marketing import send_marketing
from interpreta.accounts.models import User
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.datamap.activities import ENGAGEMENT_ESTIMATES, MARKETING, STATISTICS
from interpreta.mail import Mail
from interpreta.platform import Platform
from interpreta.privacy.rights import requests, restrict, steps
from interpreta.privacy.rights.models import RequestKind
from interpreta.privacy.rights.requests import Rights, due_date
from interpreta.privacy.rights.subjects import Identity
from tests.conftest import Account, RecordingMailer, join, make_staff
from tests.privacy.rights.seed import add_person, seed_world


def test_p34_due_in_25_days_never_beyond_a_month(clock: FrozenClock) -> None:
    received = clock.now()
    assert due_date(received, 25) == received + timedelta(days=25)
    february = received.replace(month=2, day=1)
    assert due_date(february, 31) == february.replace(month=3, day=1)
    with pytest.raises(ValidationError):
        Settings(dsr_due_days=40, _env_file=None)  # type: ignore[call-arg]


def test_p34_overdue_requests_are_listed_and_extensions_recorded(
    platform: Platform, clock: FrozenClock
) -> None:
    rights = Rights.of(platform, RecordingMailer())
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.ACCESS, email="phone@example.org"
        )
        request_id = request.id
    clock.advance(timedelta(days=26))
    with platform.sessions() as db:
        assert [r.id for r in requests.overdue(db, clock.now())] == [request_id]
    with platform.transaction() as db:
        request = requests.get(db, request_id)
        rights.extend(
            db,
            request,
            until=clock.now() + timedelta(days=20),
            reason="many systems",
            actor_user_id=1,
        )
    with platform.sessions() as db:
        assert requests.overdue(db, clock.now()) == []
        actions = [e.action for e in steps.history(db, request_id)]
    assert actions == ["dsr.received", "dsr.routed", "dsr.extended"]


def test_p34_cli_lists_overdue(platform: Platform, clock: FrozenClock, monkeypatch: Any) -> None:
    from interpreta.cli import app
    from interpreta.cli.common import CommandContext

    with platform.transaction() as db:
        request = Rights.of(platform, RecordingMailer()).logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.ERASURE, email="late@example.org"
        )
        deadline = request.deadline
    monkeypatch.setenv("INTERPRETA_DATABASE_URL", platform.settings.resolved_database_url)
    monkeypatch.setenv("INTERPRETA_DATA_DIR", str(platform.settings.data_dir))
    on_time = CommandContext(clock=clock)
    result = CliRunner().invoke(app, ["dsr", "list", "--overdue"], obj=on_time)
    assert result.exit_code == 0, result.output  # not yet late on the platform's clock
    assert "0 request(s)" in result.output
    result = CliRunner().invoke(app, ["dsr", "list"], obj=on_time)
    assert "erasure" in result.output

    late = CommandContext(clock=FrozenClock(deadline + timedelta(minutes=1)))
    result = CliRunner().invoke(app, ["dsr", "list", "--overdue"], obj=late)
    assert result.exit_code == 1, result.output  # an overdue request fails the check
    assert "erasure" in result.output and "1 request(s)" in result.output
    assert "yes" in result.output


def test_p34_cli_executes_a_request_and_refuses_bad_input_in_one_line(
    platform: Platform, clock: FrozenClock, monkeypatch: Any
) -> None:
    from interpreta.cli import app
    from interpreta.cli.common import CommandContext

    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now)
        person = add_person(db, world, now, 1, events=(0,))
        request = Rights.of(platform, RecordingMailer()).logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.ERASURE, email=person.email
        )
        request_id, labels = request.id, sorted(requests.part_of(p).label for p in request.parts)
    monkeypatch.setenv("INTERPRETA_DATABASE_URL", platform.settings.resolved_database_url)
    monkeypatch.setenv("INTERPRETA_DATA_DIR", str(platform.settings.data_dir))
    context = CommandContext(clock=clock)

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["dsr", "execute", *args], obj=context)

    for wrong, code, says in (
        (["999"], 2, "no request 999"),
        (["0"], 2, "greater than or equal to 1"),
        ([str(request_id), "--part", "processor:77"], 2, "has no part 'processor:77'"),
    ):
        result = run(*wrong)
        assert result.exit_code == code and says in result.output, result.output
        assert "Traceback" not in result.output
    result = run(str(request_id), "--part", labels[0])
    assert result.exit_code == 0 and f"{labels[0]} answered" in result.output, result.output
    result = run(str(request_id))
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if "answered" in line] == [
        f"request {request_id}: {label} answered" for label in labels[1:]
    ]
    with platform.sessions() as db:
        assert db.get_one(requests.DataSubjectRequest, request_id).status.value == "done"
        user = db.get(User, person.user_id)
        assert user is None or (user.email != person.email and user.name == "")
    result = run(str(request_id))
    assert result.exit_code == 1 and "no open part" in result.output


def test_public_request_is_confirmed_by_a_one_time_link(platform: Platform) -> None:
    outbox = RecordingMailer()
    rights = Rights.of(platform, outbox)
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now)
        add_person(db, world, now, 7, account=False, events=(1,))
        rights.by_email(db, email="Person7@example.org", kind=RequestKind.ACCESS)
    token = re.search(r"token=([\w-]+)", outbox.sent[0].body)
    assert outbox.sent[0].to == "person7@example.org" and token
    with platform.transaction() as db:
        request = rights.confirm(db, token.group(1))
        labels = {(p.scope.value, p.organisation_id) for p in request.parts}
    assert labels == {("controller", None), ("processor", world.organisations[1])}
    with pytest.raises(Exception, match="no longer valid"), platform.transaction() as db:
        rights.confirm(db, token.group(1))


def _in_a_booth(owner: Account, interpreter: Account) -> None:
    """`interpreter` joins `owner`'s organisation and is assigned to a booth of a new
    event there: data the customer controls (processor scope)."""
    join(owner, interpreter)
    event = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        json={
            "title": "Summit",
            "starts_at": "2026-12-01T09:00:00+00:00",
            "ends_at": "2026-12-01T17:00:00+00:00",
            "languages": [{"code": "de"}],
        },
    ).json()
    booth = event["topics"][0]["channels"][1]["booth_id"]
    assigned = owner.client.post(
        f"/api/events/{event['id']}/booths/{booth}/interpreters",
        json={"user_id": interpreter.user_id},
    )
    assert assigned.status_code == 201, assigned.text


def test_p01_the_owner_is_told_in_the_language_they_signed_up_in(
    platform: Platform, sign_up: Any
) -> None:
    owner: Account = sign_up("olga", "Olga Events", language="de")
    interpreter: Account = sign_up("ivy", "Ivy Freelance")
    _in_a_booth(owner, interpreter)
    asked = interpreter.client.post("/api/privacy/requests", json={"kind": "erasure"})
    assert asked.status_code == 201, asked.text
    told = [m for m in owner.outbox.sent if m.to == owner.email and "#" not in m.subject]
    assert [m.subject for m in told][-1] == "Eine Datenschutzanfrage wartet auf Ihre Antwort"
    body = told[-1].body
    assert f"Anfrage Nr. {asked.json()['id']}" in body and "Löschung ihrer Daten" in body
    # the deadline in German words ("25. Dezember 2026"), not an ISO date
    assert f"{asked.json()['deadline'][:4]}" in body and "-" not in body.split("bis zum")[1][:20]


def test_p01_processor_part_goes_to_the_customer_owner(platform: Platform, sign_up: Any) -> None:
    owner: Account = sign_up("olga", "Olga Events")
    stranger: Account = sign_up("sam", "Sam Ltd")
    interpreter: Account = sign_up("ivy", "Ivy Freelance")
    org = owner.organisation_id
    _in_a_booth(owner, interpreter)
    asked = interpreter.client.post("/api/privacy/requests", json={"kind": "erasure"})
    assert asked.status_code == 201, asked.text
    body = asked.json()
    processor = next(p for p in body["parts"] if p["scope"] == "processor")
    assert processor["organisation_id"] == org
    told = [m for m in owner.outbox.sent if m.subject == "A privacy request waits for your answer"]
    assert [m.to for m in told] == [owner.email]  # the owner is told, by mail
    assert interpreter.email not in told[0].body and f"#{body['id']}" in told[0].body
    queue = owner.client.get(f"/api/organisations/{org}/privacy-requests").json()
    assert [r["id"] for r in queue] == [body["id"]]
    # the customer sees its own part only, not who else holds data about the person
    assert [p["organisation_id"] for p in queue[0]["parts"]] == [org]
    single = owner.client.get(f"/api/privacy/requests/{body['id']}").json()
    assert [p["organisation_id"] for p in single["parts"]] == [org]
    url = f"/api/privacy/requests/{body['id']}/parts/{processor['id']}/execute"
    assert stranger.client.post(url, json={}).status_code == 404
    assert interpreter.client.post(url, json={}).status_code == 403
    done = owner.client.post(url, json={})
    assert done.status_code == 200, done.text
    part = next(p for p in done.json()["parts"] if p["id"] == processor["id"])
    assert part["outcome"]["deleted"] == {"booth_assignments": 1}
    page = owner.client.get("/privacy/requests")
    assert page.status_code == 200 and "Olga Events" in page.text


def test_p27_self_service_access_and_pages(platform: Platform, sign_up: Any) -> None:
    ann: Account = sign_up("ann")
    export = ann.client.get("/api/privacy/me/export.zip")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    report = ann.client.get("/api/privacy/me/report")
    assert "ann@example.org" in report.text and "Art. 6(1)(b)" in report.text
    page = ann.client.get("/privacy/me")
    assert page.status_code == 200 and "Your privacy" in page.text
    asked = ann.client.post("/api/privacy/requests", json={"kind": "access"})
    assert asked.json()["parts"][0]["status"] == "done"


def test_dpo_queue_is_for_staff_only(platform: Platform, sign_up: Any) -> None:
    ann: Account = sign_up("ann")
    dpo: Account = sign_up("dora")
    make_staff(platform, dpo)
    assert ann.client.get("/api/privacy/queue").status_code == 403
    logged = dpo.client.post(
        "/api/privacy/queue", json={"kind": "restriction", "email": "caller@example.org"}
    )
    assert logged.status_code == 201, logged.text
    assert [r["id"] for r in dpo.client.get("/api/privacy/queue").json()] == [logged.json()["id"]]


def test_p31_p32_restricted_or_objecting_people_are_skipped_by_analytics_and_mailing(
    platform: Platform,
) -> None:
    outbox = RecordingMailer()
    rights = Rights.of(platform, outbox)
    now = platform.clock.now()
    with platform.transaction() as db:
        for name in "abcd":
            address = f"{name}@example.org"
            db.add(
                User(
                    email=address,
                    name=name,
                    password_hash="x",
                    created_at=now,
                    email_verified_at=now,  # marketing mails only proven addresses
                )
            )
    people = [
        (1, "a@example.org"),
        (2, "b@example.org"),
        (None, "c@example.org"),
        (4, "d@example.org"),
    ]
    with platform.transaction() as db:
        for kind, (user, email) in zip(
            (RequestKind.RESTRICTION, RequestKind.OBJECTION, RequestKind.MARKETING_OBJECTION),
            people,
            strict=False,
        ):
            request = rights.logged_by_staff(
                db, staff_user_id=9, kind=kind, email=email, user_id=user
            )
            rights.execute(db, request.parts[0], actor_user_id=9)
    with platform.sessions() as db:
        analytics = restrict.allowed(db, people, STATISTICS)
        assert analytics == [(None, "c@example.org"), (4, "d@example.org")]
        # the marketing activity leaves out the restricted (a), the objecting to marketing
        # (c, by the digest of her address alone) and the generally objecting (b): our
        # marketing rests on legitimate interests, which a general objection covers
        sent = send_marketing(db, outbox, lambda to: Mail(to, "News", "Hello", MARKETING.key))
        assert sent == 1 and {m.to for m in outbox.sent} == {"d@example.org"}
        assert restrict.blocked(db, Identity.of(email="c@example.org"), MARKETING)
        assert not restrict.blocked(db, Identity.of(email="c@example.org"), STATISTICS)
        mark = restrict.marks(db, Identity.of(user_id=2))[0]
    with platform.transaction() as db:
        restrict.record_overriding_grounds(db, mark.id, "fraud investigation")
    with platform.sessions() as db:
        assert (2, "b@example.org") in restrict.allowed(db, people, STATISTICS)
        # no grounds override an objection to direct marketing (Art. 21(3))
        assert (2, "b@example.org") not in restrict.allowed(db, people, MARKETING)


def test_p31_lifting_a_restriction_tells_the_person(platform: Platform) -> None:
    outbox = RecordingMailer()
    rights = Rights.of(platform, outbox)
    with platform.transaction() as db:
        for kind in (RequestKind.RESTRICTION, RequestKind.LIFT_RESTRICTION):
            request = rights.logged_by_staff(db, staff_user_id=9, kind=kind, email="r@example.org")
            rights.execute(db, request.parts[0], actor_user_id=9)
    assert outbox.sent[-1].to == "r@example.org"
    with platform.sessions() as db:
        assert restrict.marks(db, Identity.of(email="r@example.org")) == []
        assert not restrict.blocked(db, Identity.of(email="r@example.org"), STATISTICS)


def test_p33_opt_out_of_automated_assessment(platform: Platform) -> None:
    rights = Rights.of(platform, RecordingMailer())
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=9, kind=RequestKind.AUTOMATED_OPT_OUT, email="o@example.org"
        )
        rights.execute(db, request.parts[0], actor_user_id=9)
    with platform.sessions() as db:
        who = Identity.of(email="o@example.org")
        assert restrict.blocked(db, who, ENGAGEMENT_ESTIMATES)
        assert not restrict.blocked(db, who, MARKETING)


def test_p29_rectification_corrects_the_field_and_records_notice_to_recipients(
    platform: Platform, sign_up: Any
) -> None:
    from sqlalchemy import select

    from interpreta.events.models import Participant, ParticipantRole
    from interpreta.events.participation import join
    from interpreta.privacy.rights.rectify import Correction

    owner: Account = sign_up("rita")
    event = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        json={
            "title": "R",
            "starts_at": "2026-12-01T09:00:00+00:00",
            "ends_at": "2026-12-01T10:00:00+00:00",
        },
    ).json()
    with platform.transaction() as db:
        person = join(
            db, event_id=event["id"], role=ParticipantRole.SPEAKER, now=platform.clock.now()
        )
        person.email, person.last_name, person.phone = "sam@example.org", "Smiht", "+33 1 234"
        person_id = person.id
    rights = Rights.of(platform, RecordingMailer())
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.RECTIFICATION, email="sam@example.org"
        )
        customer_part = next(p for p in request.parts if p.organisation_id is not None)
        outcome = rights.execute(
            db,
            customer_part,
            actor_user_id=owner.user_id,
            corrections=[
                Correction("participants", "last_name", person_id, "Smith"),
                Correction("participants", "phone", person_id, "+33 1 2345"),
            ],
        )
    with platform.sessions() as db:
        fixed = db.get(Participant, person_id)
        assert fixed is not None and (fixed.last_name, fixed.phone) == ("Smith", "+33 1 2345")
        raw = db.execute(select(Participant.__table__.c.phone)).scalar()
        assert "+33 1 2345" not in str(raw)  # still encrypted at rest
    assert [c["field"] for c in outcome["rectified"]] == ["last name", "phone number"]
    recipients = " ".join(n["recipient"] for n in outcome["notified"])
    assert "event organiser" in recipients  # Art. 19: the controller is told
    assert "Smith" not in str(outcome) and "Smiht" not in str(outcome)


def test_p30_erasure_deletes_mail_still_waiting_for_the_address(
    platform: Platform, tmp_path: Path
) -> None:
    from interpreta.mail import OutboxMailer

    outbox = OutboxMailer(tmp_path / "outbox", "dpo@example.org")
    rights = Rights.of(platform, outbox)
    with platform.transaction() as db:
        rights.by_email(db, email="Gone@Example.org", kind=RequestKind.ACCESS)
        rights.by_email(db, email="stays@example.org", kind=RequestKind.ACCESS)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=9, kind=RequestKind.ERASURE, email="gone@example.org"
        )
        for part in list(request.parts):
            rights.execute(db, part, actor_user_id=9)
    left = [p.read_text() for p in (tmp_path / "outbox").glob("*.eml")]
    assert len(left) == 1 and "stays@example.org" in left[0]


def test_p08_a_customer_whose_last_member_is_erased_is_closed(
    platform: Platform, sign_up: Any
) -> None:
    from interpreta.accounts.models import Organisation, OrganisationStatus

    solo: Account = sign_up("solo", "Solo Events")
    pair: Account = sign_up("olga", "Pair Events")
    join(pair, sign_up("ivy"), "owner")
    rights = Rights.of(platform)
    with platform.transaction() as db:
        for person in (solo, pair):
            request = rights.logged_by_staff(
                db, staff_user_id=9, kind=RequestKind.ERASURE, user_id=person.user_id, email=None
            )
            for part in list(request.parts):
                outcome = rights.execute(db, part, actor_user_id=9)
    with platform.sessions() as db:
        closed = db.get_one(Organisation, solo.organisation_id)
        assert closed.status is OrganisationStatus.CLOSED
        assert closed.closed_at == platform.clock.now()  # its retention clocks start now
        kept = db.get_one(Organisation, pair.organisation_id)
        assert kept.status is OrganisationStatus.ACTIVE  # Ivy still runs it
    assert "organisations_closed" not in outcome


def test_p30_an_erasure_redacts_the_persons_own_words_in_requests_and_marks(
    platform: Platform,
) -> None:
    from sqlalchemy import select

    from interpreta.privacy.marks import ProcessingMark
    from interpreta.privacy.rights.models import DataSubjectRequest

    rights = Rights.of(platform, RecordingMailer())
    words = "I am Jane Roe of 5 Elm Street; stop analysing me"
    with platform.transaction() as db:
        objection = rights.logged_by_staff(
            db, staff_user_id=9, kind=RequestKind.OBJECTION, email="jane@example.org", details=words
        )
        for part in list(objection.parts):
            rights.execute(db, part, actor_user_id=9)
    with platform.sessions() as db:
        assert db.scalar(select(ProcessingMark.reason)) == words
    with platform.transaction() as db:
        erasure = rights.logged_by_staff(
            db, staff_user_id=9, kind=RequestKind.ERASURE, email="jane@example.org"
        )
        for part in list(erasure.parts):
            rights.execute(db, part, actor_user_id=9)
        erasure_id = erasure.id
    with platform.sessions() as db:
        assert all(d == "" for d in db.scalars(select(DataSubjectRequest.details)))
        assert all(r == "" for r in db.scalars(select(ProcessingMark.reason)))
        closed = [e for e in steps.history(db, erasure_id) if e.action == "dsr.closed"]
        assert '"redacted"' in closed[0].detail and '"requests":1' in closed[0].detail


def test_p34_the_escalation_is_written_in_the_operators_language(
    platform: Platform, sign_up: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.settings, "operator_language", "it")
    owner: Account = sign_up("olga", "Olga Events")
    interpreter: Account = sign_up("ivy", "Ivy Freelance")
    _in_a_booth(owner, interpreter)
    asked = interpreter.client.post("/api/privacy/requests", json={"kind": "access"})
    clock.advance(timedelta(days=20))
    with platform.transaction() as db:
        assert len(Rights.of(platform).escalate(db, clock.now())) == 1
    mail = next(m for m in owner.outbox.sent if m.to == platform.settings.dpo.email)
    number = asked.json()["id"]
    assert (
        mail.subject
        == f"Escalation: la richiesta n. {number} è senza risposta da parte di un cliente"
    )
    assert "accesso (una copia dei suoi dati)" in mail.body and "20 giorni" in mail.body


def test_p34_a_customer_part_open_20_days_escalates_to_the_dpo_once(
    platform: Platform, sign_up: Any, clock: FrozenClock
) -> None:
    owner: Account = sign_up("olga", "Olga Events")
    interpreter: Account = sign_up("ivy", "Ivy Freelance")
    _in_a_booth(owner, interpreter)
    asked = interpreter.client.post("/api/privacy/requests", json={"kind": "erasure"})
    assert any(p["scope"] == "processor" for p in asked.json()["parts"]), asked.text
    rights = Rights.of(platform)
    clock.advance(timedelta(days=19, hours=23))
    with platform.transaction() as db:
        assert rights.escalate(db, clock.now()) == []
    clock.advance(timedelta(hours=1))
    with platform.transaction() as db:
        assert len(rights.escalate(db, clock.now())) == 1
    with platform.transaction() as db:
        assert rights.escalate(db, clock.now()) == []  # once per part
    from typer.testing import CliRunner

    from interpreta.cli import app
    from interpreta.cli.common import CommandContext

    env = {"INTERPRETA_DATABASE_URL": platform.settings.resolved_database_url}
    ran = CliRunner().invoke(
        app,
        ["dsr", "escalate", "--data-dir", str(platform.settings.data_dir)],
        env=env,
        obj=CommandContext(clock=clock),
    )
    assert ran.exit_code == 0 and "0 part(s) escalated" in ran.output, ran.output
    mails = [m for m in owner.outbox.sent if m.subject.startswith("Escalated")]
    assert [m.to for m in mails] == [platform.settings.dpo.email]
    assert interpreter.email not in mails[0].body
