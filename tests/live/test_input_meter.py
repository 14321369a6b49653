"""The floor's input-quality meter, measured on the server and shown to the staff."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from interpreta.live import hub as live_hub
from interpreta.live.input_meter import NetworkCounter
from interpreta.media.input_quality import measure, network_verdicts
from interpreta.media.plane import ChannelStats, MediaKind, PublisherStats
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient
from tests.media.media_testkit import start_publisher


async def test_interpreters_see_the_floor_measured_and_listeners_do_not(
    stage: Stage, closing: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_hub, "KEEP_ALIVE", 0.3)
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    anna = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["anna"]
    )
    lea = await join(stage.base_url, stage.code, role="listener")
    closing += [speaker, anna, lea]
    closing.append(await start_publisher(speaker, "", "", 440))  # 0.3 of full scale

    def measured(state: dict[str, Any]) -> bool:
        figures = state.get("input_quality", {}).get(str(stage.floor))
        return bool(figures and figures["lufs"] is not None and "loss" in figures)

    state = await anna.latest_state(measured, timeout=15)
    figures = state["input_quality"][str(stage.floor)]
    t = np.arange(3 * 48000) / 48000
    sent = measure(0.3 * np.sin(2 * np.pi * 440 * t))  # what the speaker's tone measures
    upmix = 20 * np.log10(np.sqrt(0.5))  # aiortc's encoder sends the mono tone as stereo,
    # each channel 3 dB down (a browser sends mono Opus, at its level)
    assert figures["lufs"] == pytest.approx(sent.loudness_lufs + upmix, abs=1.0)
    assert figures["peak"] == pytest.approx(sent.peak_dbfs + upmix, abs=1.0)
    assert figures["clipped"] == 0
    assert figures["bandwidth"] < 4000  # one tone: narrow, and judged so
    assert figures["snr"] is None  # a steady tone has no pauses to tell noise by
    # the network, on loopback: nothing lost, next to no jitter
    assert figures["loss"] == 0
    assert figures["jitter_ms"] is not None and 0 <= figures["jitter_ms"] < 30
    assert figures["verdicts"] == {
        "loudness": True,
        "clipping": True,
        "bandwidth": False,
        "noise": True,
        "loss": True,
        "jitter": True,
    }
    assert {c["id"]: c["listeners"] for c in state["channels"]}[stage.floor] == 0  # the tap
    assert "input_quality" not in (await lea.latest_state(lambda s: True))


class Counters:
    """A plane's counters for one floor, as a test sets them (the arithmetic of the
    network meter, apart from any media)."""

    def __init__(self) -> None:
        self.source: str | None = "mic-1"
        self.received, self.lost, self.jitter = 0, 0, 0.004

    def channel_stats(self, channel_id: str) -> ChannelStats:
        publisher = PublisherStats(
            self.source or "", "connected", True, self.received, 0, 0, 0.0, self.lost, self.jitter
        )
        return ChannelStats(channel_id, MediaKind.AUDIO, self.source, 0, (publisher,), ())


def test_the_network_meter_counts_loss_between_beats_and_starts_over_on_a_new_source() -> None:
    plane = Counters()
    counter = NetworkCounter()
    assert counter.measure(plane, 1) is None  # a first reading: nothing to compare yet
    plane.received, plane.lost = 98, 2
    found = counter.measure(plane, 1)
    assert found is not None and found.loss == pytest.approx(0.02) and found.jitter_ms == 4.0
    assert [v.passed for v in network_verdicts(found)] == [False, True]
    plane.received = 198  # the next 100 all arrived
    found = counter.measure(plane, 1)
    assert found is not None and found.loss == 0
    plane.source = "mic-2"  # another speaker: their counters start again
    assert counter.measure(plane, 1) is None
    plane.source = None
    assert counter.measure(plane, 1) is None
