"""Connecting, synchronising and disconnecting, below the API: which servers the guard
lets a connection reach (the user-supplied rule), the password stored only encrypted,
a restricted organiser refused, and the background synchronisation recording failures
without raising."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Table, select, update

from interpreta.calendar_integration import connections, servers
from interpreta.calendar_integration.connections import Credentials
from interpreta.calendar_integration.models import CalendarConnection
from interpreta.errors import Problem
from interpreta.outbound import OutboundGuard, Recipient
from interpreta.platform import Platform
from interpreta.privacy.marks import MarkKind, ProcessingMark
from tests.calendar_integration.servers import (
    HOST,
    PUBLIC_HOST,
    UNREGISTERED_HOST,
    WILDCARD_HOST,
    Dav,
)
from tests.conftest import Account

CONNECTIONS = cast(Table, CalendarConnection.__table__)
MARKS = cast(Table, ProcessingMark.__table__)


def _credentials(dav: Dav, calendar_url: str | None, **changes: Any) -> Credentials:
    body = {**dav.body(calendar_url), **changes}
    return Credentials(
        body["calendar_url"], body["addressbook_url"], body["username"], body["password"]
    )


def _connect(platform: Platform, user_id: int, credentials: Credentials) -> None:
    with platform.transaction() as db:
        connections.connect(
            db,
            platform.outbound_guard,
            platform.settings,
            user_id,
            credentials,
            now=platform.clock.now(),
        )


# The user-supplied rule ----------------------------------------------------------------------


def _guard(*recipients: Recipient) -> OutboundGuard:
    return OutboundGuard(recipients, resolver=lambda host, port: ["10.0.0.5"])


def _recipient(hosts: tuple[str, ...], *, internal: bool) -> Recipient:
    return Recipient(
        "DAV", hosts, frozenset({"identifiers", "security"}), internal, frozenset({"calendar"})
    )


def test_only_a_host_the_operator_registered_by_name_as_internal_is_not_user_supplied() -> None:
    guard = _guard(
        _recipient(("dav.corp.example", "10.0.0.5"), internal=True),
        _recipient(("*.lan.example",), internal=True),
        _recipient(("dav.public.example",), internal=False),
    )
    assert not servers.user_supplied(guard, "https://dav.corp.example/ada/events/")
    assert not servers.user_supplied(guard, "https://DAV.Corp.Example./ada/events/")
    assert not servers.user_supplied(guard, "http://10.0.0.5:5232/ada/events/")
    assert servers.user_supplied(guard, "https://any.lan.example/ada/")  # a wildcard's name
    assert servers.user_supplied(guard, "https://dav.public.example/ada/")  # not internal
    assert servers.user_supplied(guard, "https://nobody.example/ada/")  # not registered


def test_the_guard_refuses_what_the_rule_calls_user_supplied(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    for host in (UNREGISTERED_HOST, PUBLIC_HOST, WILDCARD_HOST):
        calendar_only = _credentials(dav, dav.new_calendar(host), addressbook_url=None)
        with pytest.raises(Problem) as refused:
            _connect(platform, ada.user_id, calendar_only)
        assert refused.value.status == 403
    _connect(platform, ada.user_id, _credentials(dav, dav.new_calendar(HOST)))
    with platform.sessions() as db:
        found = connections.view(db, ada.user_id)
    assert found is not None and found.contacts == 3


def test_a_processor_not_declared_to_receive_the_password_is_refused(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    platform.settings.processors = [
        p.model_copy(update={"categories": ["identifiers"]}) for p in platform.settings.processors
    ]
    platform.outbound_guard._resolver = lambda host, port: ["127.0.0.1"]
    with pytest.raises(Problem) as refused:
        _connect(platform, sign_up("ada").user_id, _credentials(dav, dav.new_calendar()))
    assert refused.value.status == 403


# Storing ----------------------------------------------------------------------------------------


def test_the_password_is_stored_encrypted(platform: Platform, sign_up: Any, dav: Dav) -> None:
    ada_id = sign_up("ada").user_id
    _connect(platform, ada_id, _credentials(dav, dav.new_calendar()))
    with platform.engine.connect() as connection:
        raw = connection.execute(select(CONNECTIONS.c.secret)).scalar_one()
    assert dav.server.password not in str(raw)
    assert str(raw).startswith("v1:")
    with platform.sessions() as db:
        loaded = db.scalar(select(CalendarConnection).where(CalendarConnection.user_id == ada_id))
        assert loaded is not None and loaded.secret == dav.server.password


def test_a_restricted_organiser_cannot_connect(platform: Platform, sign_up: Any, dav: Dav) -> None:
    ada_id = sign_up("ada").user_id
    with platform.engine.begin() as connection:
        connection.execute(
            MARKS.insert().values(
                kind=MarkKind.RESTRICTION, user_id=ada_id, created_at=platform.clock.now()
            )
        )
    with pytest.raises(Problem) as refused:
        _connect(platform, ada_id, _credentials(dav, dav.new_calendar()))
    assert refused.value.status == 403
    with platform.engine.connect() as connection:
        assert connection.execute(select(CONNECTIONS)).all() == []


# Synchronising in the background --------------------------------------------------------------


def test_the_background_sync_records_failures_and_goes_on(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada_id, bob_id = sign_up("ada").user_id, sign_up("bob").user_id
    _connect(platform, ada_id, _credentials(dav, dav.new_calendar()))
    _connect(platform, bob_id, _credentials(dav, dav.new_calendar()))
    with platform.engine.begin() as connection:  # ada's calendar moved away
        connection.execute(
            update(CONNECTIONS)
            .where(CONNECTIONS.c.user_id == ada_id)
            .values(calendar_url=dav.new_calendar().replace("/ada/", "/nobody/"))
        )
    later = platform.clock.now()
    succeeded = connections.sync_all(
        platform.sessions, platform.outbound_guard, platform.settings, now=later
    )
    assert succeeded == 1
    with platform.sessions() as db:
        ada, bob = connections.view(db, ada_id), connections.view(db, bob_id)
    assert ada is not None and ada.last_error is not None and "calendar" in ada.last_error
    assert bob is not None and bob.last_error is None and bob.synced_at == later
