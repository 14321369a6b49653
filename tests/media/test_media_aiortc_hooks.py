"""The aiortc internals the forwarder relies on: an aiortc upgrade must fail here, loudly."""

from __future__ import annotations

import aiortc
import pytest
from aiortc.codecs import get_encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver

from interpreta.media.forwarder import aiortc_hooks


def test_pinned_aiortc_and_its_private_hook_points_are_there() -> None:
    assert aiortc.__version__ == aiortc_hooks.AIORTC_VERSION
    aiortc_hooks.check_internals()  # raises AiortcInternalsError naming what is missing


def test_a_missing_hook_point_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(RTCRtpReceiver, "_handle_rtp_packet")
    with pytest.raises(aiortc_hooks.AiortcInternalsError, match="_handle_rtp_packet"):
        aiortc_hooks.check_internals()


def test_another_aiortc_version_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiortc, "__version__", "9.9.9")
    with pytest.raises(aiortc_hooks.AiortcInternalsError, match=r"aiortc 9\.9\.9"):
        aiortc_hooks.check_internals()


def test_the_opus_sender_packs_a_packet_without_encoding() -> None:
    codec = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2)
    encoder = get_encoder(codec)
    payloads, timestamp = encoder.pack(aiortc_hooks.sender_packet(b"\xfc\x01\x02", 4800))
    assert payloads == [b"\xfc\x01\x02"]
    assert timestamp == 4800


def test_host_addresses_overrides_ice_gathering_only_inside_the_block() -> None:
    import aioice.ice

    with aiortc_hooks.host_addresses(["127.0.0.1"]):
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)
