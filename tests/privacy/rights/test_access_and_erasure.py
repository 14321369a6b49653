"""Access (P27, P28) and erasure (P30) walk the data map: every field, nobody else's."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.processors import Processor
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.platform import Platform
from interpreta.privacy import holds
from interpreta.privacy.rights import erase
from interpreta.privacy.rights.requests import Rights
from interpreta.privacy.rights.subjects import (
    CONTROLLER,
    Identity,
    find,
    parts,
)
from interpreta.schema import all_metadata
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person, World, add_person, seed_world

_numbers = itertools.count(1000)


def _scan(platform: Platform) -> str:
    """Every value of every table, as one string."""
    chunks: list[str] = []
    with platform.engine.connect() as connection:
        for table in all_metadata().sorted_tables:
            for row in connection.execute(select(table)):
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


people_specs = st.lists(
    st.tuples(st.booleans(), st.sets(st.integers(0, 2), min_size=1), st.integers(0, 3)),
    min_size=2,
    max_size=6,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=people_specs, pick=st.integers(0, 100))
def test_p27_p28_export_holds_all_of_the_person_and_nothing_of_anyone_else(
    platform: Platform, specs: list[tuple[bool, set[int], int]], pick: int
) -> None:
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now, customers=3)
        for account, events, connections in specs:
            add_person(
                db,
                world,
                now,
                next(_numbers),
                account=account,
                events=tuple(sorted(events)),
                connections=connections,
            )
    person = world.people[pick % len(world.people)]
    values, _raw = exported(platform, person)
    found = {str(v) for v in values}
    assert person.identifiers <= found
    others = set().union(*(p.identifiers for p in world.people if p is not person))
    assert not (others & found)


def _seeded(platform: Platform) -> tuple[World, Person, Person]:
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now)
        person = add_person(db, world, now, 1, events=(0, 1), billing_contact_of=0)
        other = add_person(db, world, now, 2, events=(0, 1))
    return world, person, other


def test_p30_erasure_leaves_no_identifier_in_any_table_nor_in_the_file(
    platform: Platform,
) -> None:
    _world, person, other = _seeded(platform)
    erased(platform, person)
    scanned = _scan(platform)
    assert [i for i in person.identifiers if i in scanned] == []
    assert all(i in scanned for i in other.identifiers)
    url = platform.settings.resolved_database_url
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        raw = path.read_bytes() + b"".join(
            p.read_bytes() for p in path.parent.glob(path.name + "-wal")
        )
        leaked = [i for i in person.identifiers if i.encode() in raw]
        assert leaked == []


def test_p30_erasure_again_changes_nothing(platform: Platform) -> None:
    _world, person, _other = _seeded(platform)
    erased(platform, person)
    before = _scan(platform)
    again = erased(platform, person)
    assert all(not r["deleted"] and not r["anonymised"] for r in again)
    assert _scan(platform) == before


def test_p15_held_records_are_kept_and_reported(platform: Platform) -> None:
    _world, person, _other = _seeded(platform)
    with platform.transaction() as db:
        holds.place(
            db,
            scope=holds.HoldScope.EMAIL,
            target=person.email,
            reason="litigation",
            placed_by="dpo",
            now=platform.clock.now(),
        )
    reports = erased(platform, person)
    kept = [k for r in reports for k in r["kept"] if k["reason"] == "covered by a legal hold"]
    assert {k["table"] for k in kept} >= {"participants", "users"}
    assert person.email in _scan(platform)


def test_p11_fields_kept_by_legal_obligation_are_kept_and_reported(platform: Platform) -> None:
    """A throwaway invoices table: legal-obligation fields survive erasure, with the reason."""
    invoice = Personal(
        category=Category.FINANCIAL,
        subject=Subject.CUSTOMER_CONTACT,
        purposes=(Purpose.BILLING, Purpose.LEGAL_COMPLIANCE),
        basis=LegalBasis.LEGAL_OBLIGATION,
        retention=rules.INVOICES,
        scope=Scope.CONTROLLER,
    )
    md = MetaData()
    table = Table(
        "probe_invoices",
        md,
        Column("id", Integer, primary_key=True, info=not_personal("row number")),
        Column(
            "billed_email",
            String(320),
            info=personal(invoice, "invoiced email", tie=Tie.EMAIL),
        ),
        Column(
            "note",
            String(100),
            nullable=True,
            info=personal(invoice, "free note", basis=LegalBasis.CONTRACT),
        ),
    )
    md.create_all(platform.engine)
    with platform.transaction() as db:
        db.execute(table.insert().values(billed_email="payer@example.org", note="call Bob"))
        found = find(db, md, Identity.of(email="payer@example.org"))
        report = erase.erase(db, md, found, CONTROLLER).as_dict()
        row = db.execute(select(table)).one()
    assert row.billed_email == "payer@example.org" and row.note is None
    assert report["kept"][0]["fields"] == ["invoiced email"]
    assert "law obliges" in report["kept"][0]["reason"]
    with platform.engine.begin() as connection:
        connection.execute(text("DROP TABLE probe_invoices"))


def test_p01_parts_follow_scope_and_customer(platform: Platform) -> None:
    world, person, _other = _seeded(platform)
    md = all_metadata()
    with platform.sessions() as db:
        found = find(db, md, Identity.of(email=person.email))
        labels = {p.label for p in parts(db, md, found)}
    assert labels == {"controller"} | {f"processor:{o}" for o in world.organisations}


def test_rights_engine_builds_from_the_platform(platform: Platform) -> None:
    assert Rights.of(platform).settings is platform.settings


def test_rights_engines_share_the_platforms_outbound_guard_of_its_register(
    platform: Platform,
) -> None:
    first = Rights.of(platform)
    assert first.guard is platform.outbound_guard  # built once, not per request
    assert Rights.of(platform).guard is first.guard
    assert first.guard is not None and first.guard.recipient_for("relay.example.net") is None
    relay = Processor(
        name="Relay",
        function="mail relay",
        categories=["identifiers"],
        country="DE",
        hosts=["relay.example.net"],
    )
    platform.settings.processors = [relay]  # another register: another guard
    guard = Rights.of(platform).guard
    assert guard is not first.guard and guard is platform.outbound_guard
    found = guard.recipient_for("relay.example.net") if guard is not None else None
    assert found is not None and found.name == "Relay"
