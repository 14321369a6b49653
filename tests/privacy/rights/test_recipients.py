"""Art. 19 (P29, P30): the recipients of erased or rectified data are really told,
through the outbound guard, by a real HTTP server standing in for the processors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from interpreta.datamap.processors import Processor
from interpreta.datamap.ties import email_digest
from interpreta.outbound import guard_for
from interpreta.platform import Platform
from interpreta.privacy.rights.models import RequestKind, RequestPart
from interpreta.privacy.rights.rectify import Correction
from interpreta.privacy.rights.requests import Rights
from interpreta.privacy.rights.subjects import CONTROLLER
from tests.conftest import RecordingMailer
from tests.live_server import serving
from tests.privacy.rights.seed import Person, add_person, seed_world


@dataclass
class Receiver:
    """What the stand-in processors received, and whether the flaky one answers."""

    url: str
    notices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    flaky_down: bool = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = FastAPI()
    got = Receiver("")

    @app.post("/{name}")
    async def notice(name: str, request: Request) -> Response:
        if name == "flaky" and got.flaky_down:
            return Response(status_code=503)
        got.notices.setdefault(name, []).append(json.loads(await request.body()))
        return Response(status_code=204)

    with serving(app) as base_url:
        got.url = base_url
        yield got


def _register(receiver: Receiver) -> list[Processor]:
    def processor(name: str, categories: list[str], url: str | None, **more: Any) -> Processor:
        return Processor(
            name=name,
            function=f"{name} service",
            categories=categories,
            country="DE",
            safeguard="EU/EEA",
            notify_url=url,
            internal=True,  # the stand-ins listen on this machine
            **more,
        )

    url = receiver.url
    return [
        processor("Relay", ["identifiers", "account"], f"{url}/relay", hosts=["127.0.0.1"]),
        processor(
            "Flaky",
            ["identifiers"],
            f"{url.replace('127.0.0.1', 'localhost')}/flaky",
            hosts=["localhost"],
        ),
        processor("Cookies", ["cookies"], f"{url}/cookies", hosts=["cookies.example.net"]),
        processor("Letters", ["identifiers"], None),
        processor("Elsewhere", ["identifiers"], url.replace("127.0.0.1", "127.0.0.2")),
    ]


def _rights(platform: Platform, receiver: Receiver) -> Rights:
    settings = platform.settings.model_copy(update={"processors": _register(receiver)})
    rights = Rights.of(platform, RecordingMailer())
    return dataclasses.replace(rights, settings=settings, guard=guard_for(settings))


def _person(platform: Platform) -> Person:
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now)
        return add_person(db, world, now, 1, events=(0,))


def _controller_part(
    platform: Platform, rights: Rights, person: Person, kind: RequestKind, **answer: Any
) -> dict[str, Any]:
    with platform.transaction() as db:
        request = rights.logged_by_staff(db, staff_user_id=9, kind=kind, email=person.email)
        part = next(p for p in request.parts if p.scope is CONTROLLER.scope)
        rights.execute(db, part, actor_user_id=9, **answer)
        part_id = part.id
    with platform.sessions() as db:
        return {
            "id": part_id,
            **json.loads(db.get_one(RequestPart, part_id).outcome or "{}"),
        }


def _statuses(outcome: dict[str, Any]) -> dict[str, str]:
    return {e["recipient"]: e["status"] for e in outcome["notified"]}


def test_p30_an_erasure_is_told_to_each_processor_that_received_the_data(
    platform: Platform, receiver: Receiver
) -> None:
    rights = _rights(platform, receiver)
    person = _person(platform)
    outcome = _controller_part(platform, rights, person, RequestKind.ERASURE)
    assert _statuses(outcome) == {
        "Relay": "sent",
        "Flaky": "pending",  # 503: tried again later
        "Letters": "manual",  # no address in the register: the DPO tells it
        "Elsewhere": "refused: not a registered processor",
    }
    (sent,) = receiver.notices["relay"]
    assert sent["notice"] == "erasure" and sent["subject_sha256"] == [email_digest(person.email)]
    assert set(sent["categories"]) <= {"identifiers", "account"}
    assert person.email not in json.dumps(sent)  # a digest, never the address
    assert "cookies" not in receiver.notices  # it received none of the erased categories

    receiver.flaky_down = False
    assert rights.retry_notices() == 1
    with platform.sessions() as db:
        again = json.loads(db.get_one(RequestPart, outcome["id"]).outcome or "{}")
    assert _statuses(again)["Flaky"] == "sent" and len(receiver.notices["flaky"]) == 1
    assert rights.retry_notices() == 0 and len(receiver.notices["relay"]) == 1


def test_p29_a_rectification_is_told_with_the_fields_changed_but_not_their_values(
    platform: Platform, receiver: Receiver
) -> None:
    rights = _rights(platform, receiver)
    person = _person(platform)
    assert person.user_id is not None
    fix = Correction(table="users", column="name", record=person.user_id, value="Corrected Name")
    outcome = _controller_part(
        platform, rights, person, RequestKind.RECTIFICATION, corrections=[fix]
    )
    assert _statuses(outcome)["Relay"] == "sent"
    (sent,) = receiver.notices["relay"]
    assert sent["notice"] == "rectification" and sent["fields"]
    assert "Corrected Name" not in json.dumps(sent)


def test_a_notice_is_sent_only_once_the_answer_commits(
    platform: Platform, receiver: Receiver
) -> None:
    rights = _rights(platform, receiver)
    person = _person(platform)
    with pytest.raises(RuntimeError), platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=9, kind=RequestKind.ERASURE, email=person.email
        )
        for part in list(request.parts):
            rights.execute(db, part, actor_user_id=9)
        raise RuntimeError("the answer fails before it commits")
    assert receiver.notices == {}
