"""A publisher's packets on arrival: forwarded when on air, stale backlogs turned away."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from interpreta.media.forwarder.channel import Channel
from interpreta.media.forwarder.ingress import Ingress
from interpreta.media.forwarder.track import ForwardingTrack


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
    channel.set_source("mic")
    now[0] += 0.02
    ingress.on_rtp(_rtp(2, 960))
    assert track.queued == 1
    assert channel.packets_forwarded == 1


def test_a_backlog_after_a_stall_is_dropped_then_live_audio_flows() -> None:
    now, ingress, channel, _track = _setup()
    channel.set_source("mic")
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
    channel.set_source("mic")
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
