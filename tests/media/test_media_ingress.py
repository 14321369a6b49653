"""A publisher's packets on arrival: forwarded to every channel it is on air in (its own,
and those that borrowed it), stale backlogs turned away."""

from __future__ import annotations

import pytest
from aiortc.rtp import RtpPacket

from interpreta.media.forwarder.channel import Channel
from interpreta.media.forwarder.ingress import Ingress
from interpreta.media.forwarder.track import ForwardingTrack
from interpreta.media.plane import MediaKind, MediaPlaneError


def _rtp(seq: int, ts: int, ssrc: int = 1) -> RtpPacket:
    return RtpPacket(
        payload_type=111, sequence_number=seq, timestamp=ts, ssrc=ssrc, payload=b"\xfc\x00"
    )


def _setup() -> tuple[list[float], Ingress, Channel, ForwardingTrack]:
    now = [100.0]
    channel = Channel("en")
    ingress = Ingress("mic", lambda: now[0])
    channel.attach_publisher(ingress)
    track = ForwardingTrack(max_queue=100)
    channel.attach_subscriber("listener", track)
    return now, ingress, channel, track


def test_only_the_source_is_forwarded_but_every_packet_is_taken() -> None:
    now, ingress, channel, track = _setup()
    ingress.on_rtp(_rtp(1, 0))
    assert ingress.packets_received == 1
    assert track.queued == 0
    channel.set_source(ingress)
    now[0] += 0.02
    ingress.on_rtp(_rtp(2, 960))
    assert track.queued == 1
    assert channel.packets_forwarded == 1


def test_a_backlog_after_a_stall_is_dropped_then_live_audio_flows() -> None:
    now, ingress, channel, _track = _setup()
    channel.set_source(ingress)
    for i in range(10):  # steady: one packet every 20 ms
        ingress.on_rtp(_rtp(i, i * 960))
        now[0] += 0.02
    # the loop stalls for 0.5 s: 25 packets wait in the socket, then arrive at once
    now[0] += 0.5
    for i in range(10, 36):
        ingress.on_rtp(_rtp(i, i * 960))
    assert ingress.packets_stale == 13  # more than 250 ms late
    assert channel.packets_forwarded == 10 + 13
    for i in range(36, 40):  # back to live pace
        now[0] += 0.02
        ingress.on_rtp(_rtp(i, i * 960))
    assert ingress.packets_stale == 13


def test_a_lasting_new_delay_becomes_the_norm() -> None:
    now, ingress, channel, _track = _setup()
    channel.set_source(ingress)
    ingress.on_rtp(_rtp(0, 0))
    now[0] += 1.0  # the path got 1 s slower for good (or the source's clock jumped back)
    for i in range(1, 60):
        now[0] += 0.02
        ingress.on_rtp(_rtp(i, i * 960))
    assert 20 <= ingress.packets_stale <= 26  # about rebase_after = 0.5 s worth
    forwarded = channel.packets_forwarded
    now[0] += 0.02
    ingress.on_rtp(_rtp(60, 60 * 960))
    assert channel.packets_forwarded == forwarded + 1


# --- borrowed sources: one publisher, several channels --------------------------------


def test_one_publisher_feeds_every_channel_it_is_on_air_in() -> None:
    now, ingress, german, german_track = _setup()
    english, english_track = Channel("en"), ForwardingTrack(max_queue=100)
    english.attach_subscriber("listener", english_track)
    german.set_source(ingress)
    english.set_source(ingress)  # borrowed: not one of the English channel's publishers
    ingress.on_rtp(_rtp(1, 0))
    assert (german_track.queued, english_track.queued) == (1, 1)
    assert (german.packets_forwarded, english.packets_forwarded) == (1, 1)
    assert english.publishers == {}

    english.set_source(None)
    now[0] += 0.02
    ingress.on_rtp(_rtp(2, 960))
    assert (german_track.queued, english_track.queued) == (2, 1)


def test_a_publisher_that_leaves_leaves_every_channel_it_fed_without_a_source() -> None:
    _now, ingress, german, _track = _setup()
    english, talkback = Channel("en"), Channel("talkback")
    for channel in (german, english, talkback):
        channel.set_source(ingress)
    talkback.close()  # a borrowing channel goes: the publisher feeds the others on
    assert ingress.sinks == (german, english)
    german.detach_publisher("mic")
    assert (german.source, english.source) == (None, None)
    assert ingress.sinks == ()


def test_a_channel_takes_a_source_of_its_own_kind_only() -> None:
    _now, ingress, _german, _track = _setup()
    camera = Channel("cam", MediaKind.VIDEO)
    with pytest.raises(MediaPlaneError):
        camera.set_source(ingress)
    assert camera.source is None
    assert ingress.sinks == ()
