"""One person, put everywhere through the public paths, then erased: nothing is left.

Quillon signs up, runs an organisation, is invited into a customer's, interprets and
chats in a live event, joins another as a named listener (chatting, voting, asking and
sharing a file there) and as a speaker (heard in a recording), answers the cookie
banner, subscribes to the newsletter (an issue waits in the queue for him), registers
for an event and answers its survey, objects,
asks by the public form and by the privacy centre, and is mailed along the way.
Others' chat names them. Then they ask for erasure, the DPO and the customer answer
their parts, and the customer redacts the mentions offered. Every column of every
table, every file in the data folder (the SQLite file, its WAL, the mail outbox) is
searched for their name and address, ignoring case.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from interpreta.accounts.models import StaffRole, User
from interpreta.app import create_app
from interpreta.datamap.storage import BANNER_VERSION
from interpreta.mail import Mail, OutboxMailer
from interpreta.newsletter import consent, dispatch
from interpreta.platform import Platform
from interpreta.privacy.rights.models import DataSubjectRequest, RequestStatus
from interpreta.privacy.rights.subjects import Identity, find, linked_tables
from interpreta.schema import all_metadata
from tests.conftest import Account, RecordingMailer, join, make_staff, speaker_key_of
from tests.live.live_client import LiveClient
from tests.live_server import serving
from tests.media.media_testkit import start_publisher

NAME = "Quillon"
EMAIL = "quillon@example.org"
NEEDLES = (NAME.casefold(), EMAIL.casefold())

NOT_REACHED = {
    "audit_entries": "names people by keyed pseudonyms only, kept by design",
    "breach_notifications": "written by staff about a breach, on no public path",
    "calendar_connections": "needs a registered calendar server (tests/calendar_integration)",
    "imported_contacts": "needs a registered calendar server (tests/calendar_integration)",
    "newsletter_requests": "confirmed, it became the subscription (unconfirmed: tests/newsletter)",
    "invoices": "kept ten years by law, even after erasure (P11): tests/billing/test_rights.py",
    "invoice_lines": "kept with their invoice (P11): tests/billing/test_rights.py",
    "payments": "kept with their invoice (P11): tests/billing/test_rights.py",
    "disclosures": "recorded by the DPO, kept by law after erasure (P20): "
    "tests/privacy/test_disclosures.py",
    "transcript_segments": "needs words recognised on air (CPU-bound, marked speech): "
    "tests/meetings/test_transcripts.py",
    "engagement_estimates": "made after the event from its recordings, where the customer "
    "turned them on: tests/engagement/test_estimates.py",
}
"""Tables about people that this person does not reach through any public path."""


@dataclass
class Tee:
    """Mail kept in memory (to follow links) and written to the outbox folder."""

    recording: RecordingMailer
    outbox: OutboxMailer

    def send(self, mail: Mail) -> None:
        """Keep and write `mail`."""
        self.recording.send(mail)
        self.outbox.send(mail)

    def forget(self, addresses: set[str]) -> int:
        """Forget `addresses` in both."""
        self.recording.forget(addresses)
        return self.outbox.forget(addresses)


def _cookie(account: Account) -> str:
    return str(account.client.cookies.get("interpreta_session"))


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _traces_in_tables(platform: Platform) -> list[str]:
    found = []
    with platform.engine.connect() as connection:
        for table in all_metadata().sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    text = str(value).casefold()
                    if any(needle in text for needle in NEEDLES):
                        found.append(f"{table.name}.{column.name}: {value!r}")
    return found


def _traces_in_files(folder: Path) -> list[str]:
    needles = [n.encode() for n in NEEDLES]
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes().lower()
        found += [f"{path.relative_to(folder).as_posix()}: {n!r}" for n in needles if n in content]
    return found


async def _meeting_content(base_url: str, code: str, me: LiveClient, host: LiveClient) -> None:
    """As a named listener: chat to everyone and privately, vote, ask, upvote, share."""
    poll = await host.request(
        {"type": "poll.open", "question": "Lunch?", "options": ["Now", "Later"]}
    )
    await me.request({"type": "chat.send", "text": f"{NAME} says hello"})
    await me.request(
        {
            "type": "chat.send",
            "audience": "private",
            "to": host.welcome["participant"],
            "text": f"Write to {EMAIL}",
        }
    )
    await host.request({"type": "chat.send", "text": f"Welcome, {NAME}!"})
    await me.request(
        {
            "type": "poll.vote",
            "poll_id": poll["poll"]["id"],
            "options": [poll["poll"]["options"][0]["id"]],
        }
    )
    theirs = await host.request({"type": "question.ask", "text": "Any questions?"})
    await me.request({"type": "question.upvote", "question_id": theirs["question"]["id"]})
    await me.request({"type": "question.ask", "text": f"{NAME} asks: when is lunch?"})
    async with httpx.AsyncClient(base_url=base_url) as http:
        shared = await http.post(
            f"/api/live/{code}/files",
            params={"name": f"{NAME} notes.txt"},
            content=f"Notes by {NAME} <{EMAIL}>".encode(),
            headers={"Authorization": f"Bearer {me.welcome['content_token']}"},
        )
    assert shared.status_code == 201, shared.text


async def _host_a_poll(platform: Platform, quillon: Account) -> None:
    """Host an event of their own organisation and ask a poll in it."""
    own = _ok(
        quillon.client.post(
            f"/api/organisations/{quillon.organisation_id}/events",
            json={
                "title": "Booth meeting",
                "starts_at": "2026-11-25T08:00:00+00:00",
                "ends_at": "2026-11-25T09:00:00+00:00",
            },
        ),
        201,
    )
    with serving(create_app(platform)) as base_url:
        host = await LiveClient.join(
            base_url, own["code"], role="moderator", cookie=_cookie(quillon)
        )
        await host.request(
            {"type": "poll.open", "question": f"Is {NAME} on time?", "options": ["Yes", "No"]}
        )
        await host.close()


async def _live(
    platform: Platform, event: dict[str, Any], quillon: Account, bernd: Account, olivia: Account
) -> None:
    """Interpret and chat, listen with a name and address (and chat, vote, ask and share
    files in the meeting), and speak with a phone."""
    code = event["code"]
    with serving(create_app(platform)) as base_url:
        joined = [
            await LiveClient.join(base_url, code, role="interpreter", cookie=_cookie(quillon)),
            await LiveClient.join(base_url, code, role="interpreter", cookie=_cookie(bernd)),
        ]
        me, mate = joined
        microphone = await start_publisher(me, "", "", 880)
        await me.request({"type": "mic", "on": True})  # a stint on air
        await me.request({"type": "mic", "on": False})
        await microphone.close()
        await me.request({"type": "chat", "text": f"{NAME} here, I take the first half hour"})
        await mate.request({"type": "chat", "text": f"Ask {EMAIL.upper()} for the glossary"})
        await mate.request({"type": "chat", "text": f"then  {NAME.lower()}  takes over"})
        await mate.request({"type": "chat", "text": "slide 12 has the numbers"})
        joined.append(
            await LiveClient.join(base_url, code, role="listener", name=NAME, email=EMAIL.title())
        )
        joined.append(
            await LiveClient.join(base_url, code, role="moderator", cookie=_cookie(olivia))
        )
        await _meeting_content(base_url, code, joined[-2], joined[-1])
        key = speaker_key_of(platform, event["id"])
        joined.append(
            await LiveClient.join(
                base_url,
                code,
                role="speaker",
                key=key,
                cookie=_cookie(quillon),
                phone="+49 30 555 0101",
            )
        )
        # heard on the floor while the organiser records
        voice = await start_publisher(joined[-1], "", "", 440)
        host = next(c for c in joined if c.welcome["role"] == "moderator")
        await host.request({"type": "recording.start"})
        await asyncio.sleep(0.5)
        await host.request({"type": "recording.stop"})
        await voice.close()
        await asyncio.sleep(0.3)
        for client in reversed(joined):
            await client.close()
        await asyncio.sleep(0.3)


def _register_and_give_feedback(
    platform: Platform, organiser: Account, person: Account, outbox: RecordingMailer
) -> None:
    """Register for the organiser's event with an answer naming oneself, then answer its
    survey once it ended."""
    event = organiser.create_event(
        "Registration day",
        starts_at="2026-11-24T12:00:00+00:00",
        ends_at="2026-11-24T16:00:00+00:00",
    )
    base = f"/api/events/{event['id']}"
    question = [{"kind": "text", "label": "Who are you?"}]
    asked = _ok(
        organiser.client.put(
            f"{base}/registration", json={"mode": "automatic", "questions": question}
        )
    )["questions"][0]["id"]
    rating = _ok(
        organiser.client.put(
            f"{base}/survey", json={"questions": [{"kind": "text", "label": "Comments?"}]}
        )
    )[0]["id"]
    form = {"first_name": NAME, "last_name": "Q", "email": EMAIL, f"q{asked}": f"I am {NAME}"}
    assert person.client.post(f"/register/{event['code']}", data=form).status_code == 200
    _ok(organiser.client.patch(base, json={"status": "ended"}))
    token = outbox.token(EMAIL, "/registration")
    said = {"token": token, f"q{rating}": f"{NAME} liked it"}
    assert person.client.post("/survey", data=said).status_code == 200


def _answer_the_banner_and_subscribe(
    platform: Platform, person: Account, outbox: RecordingMailer
) -> None:
    """Answer the cookie banner, subscribe through the pages, and have an issue waiting
    in the queue."""
    banner = {"version": BANNER_VERSION, "preferences": True}
    assert person.client.post("/api/consent", json=banner).status_code == 200
    form = {"email": EMAIL, "agree": "yes", "consent_version": consent.CURRENT}
    assert person.client.post("/newsletter", data=form).status_code == 200
    token = outbox.token(EMAIL, "/newsletter/confirm")
    assert person.client.post("/newsletter/confirm", data={"token": token}).status_code == 200
    with platform.transaction() as db:
        dispatch.queue(db, subject="News", body="What is new", now=platform.clock.now())


def _put_on_a_plan(platform: Platform, sign_up: Any, customer: Account) -> Account:
    """The operator's billing staff put the customer on a plan; its owner gives the
    billing address (a street named after him). Returns the billing clerk."""
    clerk = sign_up("bill", "Operator")
    make_staff(platform, clerk, StaffRole.BILLING)
    plan = {
        "code": "basic",
        "name": "Basic",
        "monthly_fee": "90",
        "included_listener_hours": 50,
        "included_interpreter_hours": 2,
        "included_languages": 2,
        "included_storage_gb": 1,
        "listener_hour_price": "0.5",
        "interpreter_hour_price": "50",
        "storage_gb_price": "0.3",
        "first_response_hours": 24,
        "resolution_hours": 80,
    }
    _ok(clerk.client.post("/api/staff/plans", json=plan), 201)
    org = customer.organisation_id
    _ok(
        clerk.client.post(
            f"/api/staff/organisations/{org}/contracts",
            json={"plan": "basic", "starts_on": "2026-11-01", "term_months": 1},
        ),
        201,
    )
    address = {"street": f"{NAME}weg 7", "postcode": "1010", "city": "Wien", "country": "AT"}
    _ok(customer.client.put(f"/api/organisations/{org}/billing/address", json=address))
    return clerk


def _kept_in_the_crm(platform: Platform, seller: Account, customer: Account) -> None:
    """The operator's salesperson (the billing clerk, moved to sales) records him as the
    customer's contact, notes a call with him and opens a deal."""
    with platform.transaction() as db:
        db.execute(update(User).where(User.id == seller.user_id).values(staff_role=StaffRole.SALES))
    base = f"/api/staff/organisations/{customer.organisation_id}"
    card = {"name": f"{NAME} Babel", "email": EMAIL, "phone": "+43 1 555 0101"}
    contact = _ok(seller.client.post(f"{base}/contacts", json=card), 201)
    note = {"body": f"{NAME} asked for a Portuguese booth.", "contact_id": contact["id"]}
    _ok(seller.client.post(f"{base}/notes", json=note), 201)
    deal = {"title": "Upgrade to Pro", "value": "1200", "contact_id": contact["id"]}
    _ok(seller.client.post(f"{base}/deals", json=deal), 201)


async def test_p30_a_person_seeded_through_every_public_path_leaves_no_trace(
    platform: Platform, sign_up: Any, outbox: RecordingMailer
) -> None:
    data_dir = platform.settings.data_dir
    platform.mailer = Tee(outbox, OutboxMailer(data_dir / "outbox", "noreply@example.org"))
    olivia, bernd, dora = sign_up("olivia"), sign_up("bernd"), sign_up("dora")
    make_staff(platform, dora)
    quillon = sign_up(NAME.lower(), "Babel Booths")
    _ok(
        quillon.client.patch(
            f"/api/organisations/{quillon.organisation_id}",
            json={"billing_contact_name": f"{NAME} (billing)", "billing_contact_email": EMAIL},
        )
    )
    clerk = _put_on_a_plan(platform, sign_up, quillon)
    _kept_in_the_crm(platform, clerk, quillon)
    _ok(
        quillon.client.post(
            "/api/support/tickets",
            json={"subject": f"{NAME} cannot hear the floor", "body": f"Call {NAME}: {EMAIL}"},
        ),
        201,
    )
    join(olivia, quillon)
    join(olivia, bernd)
    event = _ok(
        olivia.client.post(
            f"/api/organisations/{olivia.organisation_id}/events",
            json={
                "title": "Annual meeting",
                "starts_at": "2026-11-24T08:00:00+00:00",
                "ends_at": "2026-11-24T18:00:00+00:00",
                "listener_details": "name_and_email",
                "languages": [{"code": "de"}],
            },
        ),
        201,
    )
    booth = next(c for c in event["topics"][0]["channels"] if c["language_code"] == "de")
    for interpreter in (quillon, bernd):
        _ok(
            olivia.client.post(
                f"/api/events/{event['id']}/booths/{booth['booth_id']}/interpreters",
                json={"user_id": interpreter.user_id},
            ),
            201,
        )
    await _live(platform, event, quillon, bernd, olivia)
    term = {"source_language": "de", "term": "Dolmetscher", "target_language": "en"}
    _ok(
        quillon.client.post(
            f"/api/events/{event['id']}/glossary",
            json={**term, "equivalent": "interpreter", "note": f"as {NAME} prefers"},
        ),
        201,
    )
    await _host_a_poll(platform, quillon)
    _answer_the_banner_and_subscribe(platform, quillon, outbox)
    _register_and_give_feedback(platform, olivia, quillon, outbox)

    said = f"I am {NAME}, {EMAIL}; please stop profiling me"
    _ok(
        quillon.client.post("/api/privacy/requests", json={"kind": "objection", "details": said}),
        201,
    )
    _ok(
        quillon.client.post(
            "/api/privacy/public-requests",
            json={"email": EMAIL, "kind": "access", "details": f"{NAME} asking by the form"},
        ),
        202,
    )
    confirm = outbox.token(EMAIL, "/privacy/confirm")
    _ok(quillon.client.post("/api/privacy/public-requests/confirm", json={"token": confirm}))

    metadata = all_metadata()
    with platform.sessions() as db:
        reached = find(db, metadata, Identity.of(user_id=quillon.user_id, email=EMAIL)).rows
    about_people = {ties.table.name for ties in linked_tables(metadata)}
    assert sorted(about_people - {t for t, keys in reached.items() if keys}) == sorted(NOT_REACHED)
    folder = data_dir.parent  # the data folder, and the test's SQLite file and WAL
    before = _traces_in_files(folder)
    assert any(t.startswith("data/outbox/") for t in before)  # the search does find them
    if platform.engine.dialect.name == "sqlite":
        assert any(t.startswith("interpreta.db") for t in before)

    request = _ok(
        quillon.client.post(
            "/api/privacy/requests",
            json={"kind": "erasure", "details": f"Erase everything about {NAME} ({EMAIL})"},
        ),
        201,
    )
    handlers = {None: dora, olivia.organisation_id: olivia}
    # Quillon answers for his own organisation (the event he hosted) before the
    # operator's part erases his account
    own_first = sorted(request["parts"], key=lambda p: p["organisation_id"] in handlers)
    for part in own_first:
        handler = handlers.get(part["organisation_id"], quillon)
        answered = _ok(
            handler.client.post(
                f"/api/privacy/requests/{request['id']}/parts/{part['id']}/execute", json={}
            )
        )
        done = next(p for p in answered["parts"] if p["id"] == part["id"])
        mentions = [m["key"] for m in done["outcome"].get("mentions", [])]
        if mentions:
            _ok(
                handler.client.post(
                    f"/api/privacy/requests/{request['id']}/parts/{part['id']}/redact",
                    json={"keys": mentions},
                )
            )

    assert _traces_in_tables(platform) == []
    with platform.sessions() as db:  # the objection and the form's request are superseded
        statuses = db.scalars(select(DataSubjectRequest.status)).all()
    assert set(statuses) == {RequestStatus.DONE}
    assert [m.to for m in outbox.sent if EMAIL in m.to.casefold()] == []
    assert _traces_in_files(folder) == []
