"""Packet loss and jitter per publisher (RFC 3550): synthetic packets of known gaps and
arrival times through the embedded plane's ``Ingress``, then real publishers on every
backend."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from aiortc.rtp import RtpPacket
from conftest import Peers

from interpreta.media import MediaPlane, PublisherStats
from interpreta.media.forwarder.ingress import Ingress
from interpreta.media.forwarder.reception import Reception
from interpreta.media.janus.admin import packet_counters

STEP = 960  # 20 ms of Opus at 48 kHz
SPACING = 0.020


def _rtp(seq: int, ts: int, ssrc: int = 1) -> RtpPacket:
    return RtpPacket(
        payload_type=111, sequence_number=seq & 0xFFFF, timestamp=ts, ssrc=ssrc, payload=b"\xfc"
    )


class _Clock:
    """The arrival times the ingress reads."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _deliver(ingress: Ingress, clock: _Clock, seqs: list[int], ssrc: int = 1) -> None:
    """Packets `seqs` of a steady 20 ms stream, each arriving exactly on time."""
    for seq in seqs:
        clock.now = 100.0 + seq * SPACING
        ingress.on_rtp(_rtp(seq, seq * STEP, ssrc))


def test_gaps_are_lost_and_late_packets_are_not() -> None:
    clock = _Clock()
    ingress = Ingress("mic", clock)
    assert ingress.reception.packets_lost == 0
    assert ingress.reception.jitter is None
    sent = [seq for seq in range(100) if seq not in (10, 11, 50)]
    _deliver(ingress, clock, sent[:80])
    _deliver(ingress, clock, [50])  # 50 arrives late, after the packets that followed it
    _deliver(ingress, clock, sent[80:])
    assert ingress.reception.packets_lost == 2
    # every packet arrived as it was sent: no jitter (two different ones compared)
    assert ingress.reception.jitter == pytest.approx(0.0, abs=1e-9)


def test_sequence_numbers_wrap_and_streams_add_up() -> None:
    clock = _Clock()
    ingress = Ingress("mic", clock)
    _deliver(ingress, clock, [s for s in range(65530, 65550) if s != 65537])  # 1 lost at 1
    assert ingress.reception.packets_lost == 1
    _deliver(ingress, clock, [s for s in range(200, 230) if s not in (205, 206, 207)], ssrc=2)
    assert ingress.reception.packets_lost == 4  # a new SSRC (the browser restarted it)


def test_duplicates_and_restarts_are_not_counted_as_loss() -> None:
    clock = _Clock()
    ingress = Ingress("mic", clock)
    for seq in range(20):
        _deliver(ingress, clock, [seq, seq])  # every packet twice
    assert ingress.reception.packets_lost == 0
    _deliver(ingress, clock, [40_000])  # one stray packet far ahead: ignored
    _deliver(ingress, clock, [20, 21])
    assert ingress.reception.packets_lost == 0
    _deliver(ingress, clock, [9_000, 9_001, 9_003])  # the sender starts over, then loses one
    assert ingress.reception.packets_lost == 1


def test_jitter_is_rfc_3550_interarrival_jitter_in_seconds() -> None:
    """Packets sent every 20 ms arrive alternately on time and 5 ms late: each difference
    of transit times is 5 ms, and J moves 1/16 of the way to it per packet."""
    clock = _Clock()
    ingress = Ingress("mic", clock, max_delay=1.0)
    late = 0.005
    for seq in range(2):
        clock.now = 100.0 + seq * SPACING + (late if seq % 2 else 0.0)
        ingress.on_rtp(_rtp(seq, seq * STEP))
    assert ingress.reception.jitter == pytest.approx(late / 16)
    for seq in range(2, 200):
        clock.now = 100.0 + seq * SPACING + (late if seq % 2 else 0.0)
        ingress.on_rtp(_rtp(seq, seq * STEP))
    expected = late * (1 - (15 / 16) ** 199)
    assert ingress.reception.jitter == pytest.approx(expected, rel=1e-9)
    assert ingress.reception.packets_lost == 0


def test_jitter_follows_the_reference_formula_on_irregular_arrivals() -> None:
    """RFC 3550 A.8 computed the way the RFC writes it (in RTP timestamp units), against
    the ingress's figure in seconds."""
    offsets = [0.0, 0.003, 0.011, 0.002, 0.0, 0.017, 0.004, 0.009, 0.001, 0.006] * 5
    clock = _Clock()
    ingress = Ingress("mic", clock, max_delay=1.0)
    reference, previous = 0.0, None
    for seq, offset in enumerate(offsets):
        clock.now = 100.0 + seq * SPACING + offset
        ingress.on_rtp(_rtp(seq, 1_000 + seq * STEP))
        transit = clock.now * 48000 - (1_000 + seq * STEP)
        if previous is not None:
            reference += (abs(transit - previous) - reference) / 16
        previous = transit
    assert ingress.reception.jitter == pytest.approx(reference / 48000, rel=1e-6)


def test_video_jitter_is_taken_once_per_frame_at_90_khz() -> None:
    """The packets of one video frame share a timestamp and arrive in a burst: only the
    first of each frame counts, on the 90 kHz clock."""
    reception = Reception(90_000)
    seq = itertools.count()
    for frame in range(100):
        sent = 100.0 + frame / 30
        for part in range(3):  # three packets per frame, 0.1 ms apart
            arrival = sent + part * 0.0001 + (0.002 if frame % 2 else 0.0)
            reception.add(7, next(seq), frame * 3000, arrival)
    assert reception.packets_lost == 0
    assert reception.jitter == pytest.approx(0.002 * (1 - (15 / 16) ** 99), rel=1e-6)


def test_janus_loss_and_jitter_come_from_each_m_line_s_rtcp_context() -> None:
    """Janus 1.1.2's handle_info: ``rtcp.main.lost`` and ``jitter-local`` in whole ms."""
    medium = {
        "stats": {"in": {"packets": 120, "bytes": 9000}, "out": {"packets": 0, "bytes": 0}},
        "rtcp": {"main": {"base": 48000, "lost": 3, "jitter-local": 7, "jitter-remote": 0}},
    }
    silent = {"stats": {"in": {"packets": 0, "bytes": 0}}, "rtcp": {"main": {"jitter-local": 0}}}
    counters = packet_counters({"webrtc": {"media": {"0": medium, "1": silent}}})
    assert (counters.packets_in, counters.packets_lost) == (120, 3)
    assert counters.jitter == pytest.approx(0.007)
    assert packet_counters({"webrtc": {"media": {"1": silent}}}).jitter is None


async def test_a_clean_local_publisher_loses_nothing_and_jitters_little(
    plane: MediaPlane, peers: Peers, closing: list[Any]
) -> None:
    await plane.open_channel("floor")
    closing.append(await peers.publisher("floor", "speaker", 500.0))

    def publisher() -> PublisherStats:
        return plane.channel_stats("floor").publishers[0]

    deadline = time.monotonic() + 10
    while publisher().jitter is None or publisher().packets_received < 100:
        assert time.monotonic() < deadline, publisher()
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # past the first packets' bunching while the connection came up
    stats = publisher()
    print(f"\n{stats}")
    assert stats.packets_lost == 0
    assert stats.jitter is not None and 0 <= stats.jitter < 0.030
