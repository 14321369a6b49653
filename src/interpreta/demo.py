"""The demo: an organisation, logins, and a live-ready event, created once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from interpreta.accounts import actions as accounts
from interpreta.accounts.models import MemberRole, Organisation, StaffRole
from interpreta.datamap.activities import ACCOUNT
from interpreta.events import actions as events
from interpreta.events.models import Event, EventStatus
from interpreta.platform import Platform
from interpreta.privacy.processing import processing

ORGANISATION = "Demo Conference Services"
PASSWORD = "demo-password"
OWNER = "organiser@demo.interpreta.example"
INTERPRETERS = (
    ("interpreter.de1@demo.interpreta.example", "Dora Deutsch", "de"),
    ("interpreter.de2@demo.interpreta.example", "Dieter Dolmetsch", "de"),
    ("interpreter.fr1@demo.interpreta.example", "Françoise Fournier", "fr"),
    ("interpreter.fr2@demo.interpreta.example", "Frédéric Faure", "fr"),
)
DPO = "dpo@demo.interpreta.example"


@dataclass(frozen=True)
class DemoInfo:
    """What the run command prints."""

    event_code: str
    logins: list[tuple[str, str, str]]


def seed(platform: Platform) -> DemoInfo:
    """Create the demo once; later calls return what exists."""
    now = platform.clock.now()
    logins = [(OWNER, PASSWORD, "organiser (owner)")]
    logins += [(email, PASSWORD, f"interpreter, {lang} booth") for email, _n, lang in INTERPRETERS]
    logins.append(
        (DPO, PASSWORD, "operator staff: data protection officer (turn on two-factor at /account)")
    )
    with processing(ACCOUNT), platform.transaction() as db:
        organisation = db.scalar(select(Organisation).where(Organisation.name == ORGANISATION))
        if organisation is not None:
            code = db.scalar(
                select(Event.code).where(Event.organisation_id == organisation.id).limit(1)
            )
            return DemoInfo(code or "", logins)
        owner = accounts.create_user(
            db, platform.passwords, email=OWNER, name="Olivia Organiser", password=PASSWORD, now=now
        )
        organisation = accounts.create_organisation(db, owner=owner, name=ORGANISATION, now=now)
        organisation.billing_contact_name = "Olivia Organiser"
        organisation.billing_contact_email = OWNER
        staff = accounts.create_user(
            db, platform.passwords, email=DPO, name="Dana Protection", password=PASSWORD, now=now
        )
        staff.staff_role = StaffRole.DPO
        owner.email_verified_at = staff.email_verified_at = now  # demo addresses, set up by us
        event = events.create_event(
            db,
            organisation_id=organisation.id,
            title="Demo Summit on Multilingual Events",
            description="A demo event: floor in English, interpretation into German and French.",
            starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(hours=8),
            timezone="Europe/Berlin",
            now=now,
            language_specs=[events.LanguageSpec("de"), events.LanguageSpec("fr")],
            topic_names=["Plenary", "Workshop room"],
        )
        event.status = EventStatus.LIVE  # the demo is ready to listen to at once
        booths = {
            channel.language_code: channel.booth
            for channel in event.topics[0].channels
            if channel.booth is not None
        }
        for email, name, lang in INTERPRETERS:
            user = accounts.create_user(
                db, platform.passwords, email=email, name=name, password=PASSWORD, now=now
            )
            user.email_verified_at = now
            accounts.add_member(db, organisation, user=user, role=MemberRole.INTERPRETER, now=now)
            booth = booths[lang]
            assert booth is not None
            events.assign_interpreter(db, event, booth, user.id)
        return DemoInfo(event.code, logins)
