"""The data map: every column declared, in the closed vocabulary (P01-P04, P22)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.declarations import (
    NotPersonal,
    Personal,
    confidential_columns,
    declaration_of,
    fields,
    not_personal,
    personal,
    personal_fields,
    problems,
)
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.schema import all_metadata

PROFILE = Personal(
    category=Category.IDENTIFIERS,
    subject=Subject.PARTICIPANT,
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    retention=rules.PARTICIPATION,
    scope=Scope.PROCESSOR,
)


def _column(name: str, table: str = "participants") -> Column:  # type: ignore[type-arg]
    return all_metadata().tables[table].columns[name]


def test_p03_every_column_of_every_table_is_declared() -> None:
    assert problems(all_metadata()) == []
    assert len(list(fields(all_metadata()))) > 50


def test_p03_an_undeclared_column_is_reported() -> None:
    metadata = MetaData()
    Table(
        "probe",
        metadata,
        Column("id", Integer, primary_key=True, info=not_personal("row number")),
        Column("nickname", String),
    )
    assert problems(metadata) == ["probe.nickname: not declared in the data map"]


def test_unknown_category_purpose_or_rule_is_reported() -> None:
    bogus_rule = rules.RetentionRule("made_up", rules.Anchor.CREATION, rules.Period(1))
    metadata = MetaData()
    Table(
        "probe",
        metadata,
        Column("a", String, info={"privacy": PROFILE.described("a", category="gossip")}),
        Column("b", String, info={"privacy": PROFILE.described("b", purposes=("spying",))}),
        Column("c", String, info={"privacy": PROFILE.described("c", retention=bogus_rule)}),
        Column("d", String, info={"privacy": PROFILE.described("d", purposes=())}),
        Column("e", String, info={"privacy": NotPersonal("")}),
    )
    found = problems(metadata)
    assert "probe.a: unknown category 'gossip'" in found
    assert "probe.b: unknown purpose 'spying'" in found
    assert any(p.startswith("probe.c: unknown retention rule") for p in found)
    assert "probe.d: no purpose declared" in found
    assert "probe.e: 'not personal' needs a reason" in found


def test_p01_every_personal_field_has_a_scope_participants_are_processor_scope() -> None:
    by_table: dict[str, set[Scope]] = {}
    for field, declaration in personal_fields(all_metadata()):
        by_table.setdefault(field.table, set()).add(declaration.scope)
    assert by_table["participants"] == {Scope.PROCESSOR}
    assert by_table["connection_sessions"] == {Scope.PROCESSOR}
    assert by_table["users"] == {Scope.CONTROLLER}
    assert by_table["organisations"] == {Scope.CONTROLLER}


def test_p09_participation_and_connection_fields_follow_the_one_week_rule() -> None:
    names = ["first_name", "last_name", "phone", "email", "anonymous_id", "event_id"]
    session = [
        "session_id",
        "media_session_id",
        "media_url",
        "topic_id",
        "stream_id",
        "browser",
        "os",
        "device_type",
        "ip_address",
        "joined_at",
        "left_at",
    ]
    declared = [declaration_of(_column(n)) for n in names]
    declared += [declaration_of(_column(n, "connection_sessions")) for n in session]
    assert all(isinstance(d, Personal) and d.retention == rules.PARTICIPATION for d in declared)


def test_p04_connection_and_equipment_categories() -> None:
    assert declaration_of(_column("ip_address", "connection_sessions")).category == (  # type: ignore[union-attr]
        Category.TECHNICAL
    )
    assert declaration_of(_column("media_session_id", "connection_sessions")).category == (  # type: ignore[union-attr]
        Category.CONNECTION
    )


def test_p22_phone_numbers_and_meeting_content_are_marked_confidential() -> None:
    tables = all_metadata().tables
    assert confidential_columns(tables["participants"]) == ["phone"]
    assert confidential_columns(tables["booth_chat_messages"]) == ["body"]


def test_p16_meeting_content_follows_the_customer_defined_rule() -> None:
    declaration = declaration_of(_column("body", "booth_chat_messages"))
    assert isinstance(declaration, Personal)
    assert declaration.retention is rules.MEETING_CONTENT
    assert declaration.scope is Scope.PROCESSOR


def test_personal_helper_names_the_column() -> None:
    info = personal(PROFILE, "nickname", confidential=True)
    declaration = info["privacy"]
    assert isinstance(declaration, Personal)
    assert declaration.description == "nickname" and declaration.confidential
