"""An event's transcript: kept in order with its speakers, given as WebVTT, in each
speaker's access export and gone with their erasure, while everyone else's sentences
stay (P16, P27, P28). The live test (tests/live/test_captions.py) makes these rows from
words recognised on air."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from interpreta.meetings import transcripts
from interpreta.meetings.models import TranscriptSegment
from interpreta.meetings.people import Person
from interpreta.platform import Platform
from tests.meetings.conftest import Room
from tests.privacy.rights.answers import erased, exported


def _said(platform: Platform, room: Room, who: Person | None, text: str, after_s: float) -> None:
    with platform.transaction() as db:
        transcripts.record(
            db,
            room.event_id,
            None,
            "en",
            "whisper",
            None if who is None else who.participant_id,
            text,
            platform.clock.now() + timedelta(seconds=after_s),
            1500,
        )


def test_the_transcript_is_in_the_order_said_with_its_speakers(
    platform: Platform, room: Room
) -> None:
    _said(platform, room, room.ben, "and then we vote", 4)
    _said(platform, room, room.ada, "good morning everyone", 0)
    _said(platform, room, None, "  ", 6)  # nobody known on air: kept without a speaker
    with platform.sessions() as db:
        rows = transcripts.segments(db, room.event_id)
    assert [r["text"] for r in rows] == ["good morning everyone", "and then we vote", ""]
    assert [r["speaker"] for r in rows] == [room.ada.name, room.ben.name, None]
    assert rows[0]["engine"] == "whisper" and rows[0]["language"] == "en"


def test_the_transcript_as_webvtt_is_timed_from_its_first_sentence_and_escaped(
    platform: Platform, room: Room
) -> None:
    _said(platform, room, room.ada, "one <b>bold</b> & odd --> claim", 0)
    _said(platform, room, room.ben, "two\n\nlines", 61.25)
    with platform.sessions() as db:
        vtt = transcripts.as_webvtt(transcripts.segments(db, room.event_id))
    assert vtt.splitlines() == [
        "WEBVTT",
        "",
        "1",
        "00:00:00.000 --> 00:00:01.500",
        f"<v {room.ada.name}>one &lt;b&gt;bold&lt;/b&gt; &amp; odd --&gt; claim",
        "",
        "2",
        "00:01:01.250 --> 00:01:02.750",
        f"<v {room.ben.name}>two lines",
    ]
    assert transcripts.as_webvtt([]) == "WEBVTT\n"


def test_a_speaker_s_sentences_are_in_their_export_and_gone_with_their_erasure(
    platform: Platform, room: Room
) -> None:
    _said(platform, room, room.ada, "ada says the budget is fine", 0)
    _said(platform, room, room.ben, "ben disagrees", 2)

    values, _archive = exported(platform, room.seeded["ada"])
    found = {str(v) for v in values}
    assert "ada says the budget is fine" in found and "ben disagrees" not in found

    erased(platform, room.seeded["ada"])
    with platform.sessions() as db:
        kept = [(s.speaker_id, s.text) for s in db.scalars(select(TranscriptSegment))]
    assert kept == [(room.ben.participant_id, "ben disagrees")]
