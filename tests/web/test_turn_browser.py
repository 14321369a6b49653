"""A listener's Chromium that can reach the media server only through the TURN relay
(its peer connections forced to ``iceTransportPolicy: "relay"``) hears the speaker,
with the ICE servers and credential the welcome gave it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interpreta.clock import FrozenClock, SystemClock
from interpreta.config import Settings
from interpreta.platform import Platform
from tests.conftest import speaker_key_of
from tests.coturn import TurnServer, require_turnserver
from tests.web.conftest import write_tone
from tests.web.test_live_browser import hears, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.turn]

RELAY_ONLY = """
(() => {
  const Native = window.RTCPeerConnection;
  window.iceConfigurations = [];
  window.RTCPeerConnection = class extends Native {
    constructor(configuration) {
      window.iceConfigurations.push(configuration);
      super({ ...configuration, iceTransportPolicy: "relay" });
    }
  };
})();
"""


@pytest.fixture(scope="module")
def coturn() -> Iterator[TurnServer]:
    """coturn on loopback, where the embedded plane offers its media in the tests."""
    require_turnserver()
    with TurnServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def settings(settings: Settings, coturn: TurnServer) -> Settings:
    """The test's settings, naming coturn with its shared secret."""
    return settings.model_copy(update={"turn_urls": [coturn.url], "turn_secret": coturn.secret})


def test_a_listener_whose_browser_can_only_use_the_relay_hears_the_floor(
    platform: Platform,
    sign_up: Any,
    clock: FrozenClock,
    coturn: TurnServer,
    media_server: str,
    audio_browser: Any,
    screenshots: Path,
) -> None:
    clock.moment = SystemClock().now()  # coturn checks the credential's expiry by its own clock
    owner = sign_up("olivia")
    event = owner.create_event("Behind a firewall")
    code, key = event["code"], speaker_key_of(platform, event["id"])
    voice = audio_browser(write_tone(Path(screenshots) / "tone-440.wav", 440))
    speaker = voice.new_context(base_url=media_server).new_page()
    speaker.goto(f"/speak/{code}?key={key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()
    wait_until(speaker, "window.interpreta.published === true")

    listener_context = voice.new_context(base_url=media_server)
    listener_context.add_init_script(RELAY_ONLY)
    listener = listener_context.new_page()
    listener.goto(f"/join/{code}")
    listener.get_by_role("button", name="Play").click()
    hears(listener, 440, timeout=15)
    (configuration,) = listener.evaluate("window.iceConfigurations")
    (server,) = configuration["iceServers"]
    assert server["urls"] == [coturn.url] and server["username"].count(":") == 1
