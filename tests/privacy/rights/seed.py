"""Filling a database with people across every linked table, for the rights tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from interpreta.accounts.models import (
    AccountLink,
    Invitation,
    LinkPurpose,
    MemberRole,
    Membership,
    Organisation,
    SignInSession,
    User,
)
from interpreta.events.models import (
    Booth,
    BoothAssignment,
    Channel,
    ChannelKind,
    ConnectionSession,
    Event,
    Participant,
    ParticipantRole,
    Topic,
    UsageEvent,
)

_codes = itertools.count(1)


@dataclass
class Person:
    """One seeded person and the identifying values stored about them."""

    index: int
    user_id: int | None
    email: str
    identifiers: set[str] = field(default_factory=set)


@dataclass
class World:
    """What was seeded: the customers, their booths, and the people."""

    organisations: list[int]
    booths: list[int]
    people: list[Person]


def seed_world(db: Session, now: datetime, *, customers: int = 2) -> World:
    """Customers, each with one event, topic, channel and booth."""
    organisations, booths = [], []
    for n in range(customers):
        org = Organisation(name=f"Customer {n}", plan="standard", created_at=now)
        db.add(org)
        db.flush()
        event = Event(
            organisation_id=org.id,
            title=f"Event {n}",
            code=f"E{next(_codes):06d}",
            starts_at=now,
            ends_at=now + timedelta(hours=8),
            created_at=now,
        )
        db.add(event)
        db.flush()
        topic = Topic(event_id=event.id, name="Plenary")
        db.add(topic)
        db.flush()
        channel = Channel(topic_id=topic.id, kind=ChannelKind.LANGUAGE, language_code="de")
        db.add(channel)
        db.flush()
        booth = Booth(channel_id=channel.id)
        db.add(booth)
        db.flush()
        organisations.append(org.id)
        booths.append(booth.id)
    return World(organisations, booths, [])


def add_person(
    db: Session,
    world: World,
    now: datetime,
    index: int,
    *,
    account: bool = True,
    events: tuple[int, ...] = (0,),
    connections: int = 2,
    usage: int = 3,
    billing_contact_of: int | None = None,
) -> Person:
    """One person: an account (or not), participations, connections, usage, chat."""
    email = f"person{index}@example.org"
    person = Person(index, None, email, {email})
    if account:
        user = User(
            email=email,
            name=f"Name{index} Surname{index}",
            password_hash=f"hash-{index}-x",
            locale="en",
            created_at=now,
            email_verified_at=now,
        )
        db.add(user)
        db.flush()
        person.user_id = user.id
        person.identifiers |= {user.name, user.password_hash}
        org_id = world.organisations[index % len(world.organisations)]
        db.add(
            Membership(
                organisation_id=org_id, user_id=user.id, role=MemberRole.INTERPRETER, created_at=now
            )
        )
        token = f"tok{index:061d}"
        db.add(
            SignInSession(
                token_hash=token, user_id=user.id, created_at=now, expires_at=now + timedelta(1)
            )
        )
        person.identifiers.add(token)
        link = f"lnk{index:061d}"
        db.add(
            AccountLink(
                user_id=user.id,
                purpose=LinkPurpose.VERIFY_EMAIL,
                email=email,
                token_hash=link,
                created_at=now,
                expires_at=now + timedelta(1),
                used_at=now,
            )
        )
        person.identifiers.add(link)
        invitation = f"inv{index:061d}"
        db.add(
            Invitation(
                organisation_id=world.organisations[(index + 1) % len(world.organisations)],
                email=email,
                role=MemberRole.ORGANISER,
                token_hash=invitation,
                created_at=now,
                expires_at=now + timedelta(7),
            )
        )
        person.identifiers.add(invitation)
        db.add(BoothAssignment(booth_id=world.booths[index % len(world.booths)], user_id=user.id))
    if billing_contact_of is not None:
        org = db.get(Organisation, world.organisations[billing_contact_of])
        assert org is not None
        org.billing_contact_name = f"Billing{index} Contact"
        org.billing_contact_email = email
        person.identifiers.add(org.billing_contact_name)
    for n in events:
        from sqlalchemy import select

        event_id = db.scalar(
            select(Event.id).where(Event.organisation_id == world.organisations[n])
        )
        participant = Participant(
            event_id=event_id,
            role=ParticipantRole.LISTENER,
            anonymous_id=f"p_{index}_{n}_anon",
            first_name=f"First{index}x",
            last_name=f"Last{index}x",
            email=email,
            user_id=person.user_id,
            created_at=now,
        )
        db.add(participant)
        db.flush()
        person.identifiers |= {participant.anonymous_id, f"First{index}x", f"Last{index}x"}
        for c in range(connections):
            connection = ConnectionSession(
                participant_id=participant.id,
                session_id=f"s_{index}_{n}_{c}_sess",
                browser="Firefox",
                ip_address=f"10.{index % 250}.{n}.{c + 1}",
                joined_at=now,
            )
            db.add(connection)
            db.flush()
            person.identifiers |= {connection.session_id}
            for u in range(usage):
                db.add(
                    UsageEvent(
                        connection_session_id=connection.id,
                        kind="switch",
                        detail=f"ch{u}",
                        at=now,
                    )
                )
    db.flush()
    world.people.append(person)
    return person
