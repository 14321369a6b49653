"""Shared files: names, types checked against content, size limits, removal."""

from __future__ import annotations

import pytest

from interpreta.meetings import files
from interpreta.meetings.people import ContentRefused, Person
from interpreta.platform import Platform
from tests.meetings.conftest import Room

PDF = b"%PDF-1.4\n%fake but well-started\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _share(
    platform: Platform, room: Room, who: Person, name: object, data: bytes, limit: int = 1024
) -> dict[str, object]:
    with platform.transaction() as db:
        return files.share(
            db, room.event_id, who, name, data, max_bytes=limit, now=platform.clock.now()
        )


def test_a_shared_file_comes_back_as_it_went_in(platform: Platform, room: Room) -> None:
    listed = _share(platform, room, room.ada, "../../etc/Agenda Day 1.pdf", PDF)
    assert listed["name"] == "Agenda Day 1.pdf"
    assert listed["media_type"] == "application/pdf" and listed["size"] == len(PDF)
    with platform.sessions() as db:
        name, media_type, data = files.content(db, room.event_id, int(str(listed["id"])))
        assert [f["name"] for f in files.listed(db, room.event_id)] == ["Agenda Day 1.pdf"]
    assert (name, media_type, data) == ("Agenda Day 1.pdf", "application/pdf", PDF)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("run.exe", b"MZ" + bytes(10), "file_type"),
        ("page.html", b"<script>", "file_type"),
        ("slides.pdf", PNG, "file_type"),  # the name lies about the content
        ("photo.png", PDF, "file_type"),
        ("notes.txt", b"\x00\x01binary", "file_type"),
        ("notes.txt", b"", "empty"),
        ("big.pdf", PDF + bytes(2000), "too_large"),
        ("", PDF, "bad_request"),
        ("..", PDF, "bad_request"),
        ("a\u202egnp.pdf", PDF, "bad_request"),  # right-to-left override
        ("x" * 201 + ".pdf", PDF, "too_long"),
        (None, PDF, "bad_request"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    platform: Platform, room: Room, name: object, data: bytes, code: str
) -> None:
    with pytest.raises(ContentRefused) as refused:
        _share(platform, room, room.ada, name, data)
    assert refused.value.code == code
    with platform.sessions() as db:
        assert files.listed(db, room.event_id) == []


def test_authors_and_hosts_remove_files_others_do_not(platform: Platform, room: Room) -> None:
    first = int(str(_share(platform, room, room.ada, "a.png", PNG)["id"]))
    second = int(str(_share(platform, room, room.ada, "b.png", PNG)["id"]))
    with platform.transaction() as db, pytest.raises(ContentRefused) as refused:
        files.remove(db, room.event_id, first, room.ben)
    assert refused.value.code == "forbidden"
    with platform.transaction() as db:
        files.remove(db, room.event_id, first, room.ada)
        files.remove(db, room.event_id, second, room.host)
        assert files.listed(db, room.event_id) == []
    with platform.transaction() as db, pytest.raises(ContentRefused) as refused:
        files.remove(db, room.event_id, first, room.host)
    assert refused.value.code == "not_found"
