"""A speaker's sound check before going live, measured on the server.

The speaker's page publishes the microphone to a channel of its own (nobody hears it),
a tap there decodes it (:class:`~interpreta.live.input_meter.RecentSound`), and when the
page asks, the last seconds are measured: each criterion passes or fails, and the page
shows its advice (move closer, use a headset...). Nothing is stored; the channel closes
with the result, or when the page leaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from interpreta.live.input_meter import RecentSound, figures_of
from interpreta.media.plane import MediaPlane
from interpreta.media.recording import ChannelTap

__all__ = ["SoundCheck"]


class SoundCheck:
    """One participant's sound check: their microphone alone on a channel, measured."""

    def __init__(
        self, plane: MediaPlane, name: str, addresses: Sequence[str] | None = None
    ) -> None:
        """:param name: unique on the plane: the channel's id and its peers' prefix."""
        self.plane = plane
        self.channel = f"check:{name}"
        self.addresses = addresses
        self._sound = RecentSound()
        self._tap = ChannelTap(plane, f"{self.channel}:tap")

    async def start(self, offer_sdp: str) -> str:
        """Take the microphone's offer; the answer. The check measures from now on."""
        await self.plane.open_channel(self.channel)
        try:
            answer = await self.plane.publish(self.channel, f"{self.channel}:mic", offer_sdp)
            await self.plane.set_source(self.channel, f"{self.channel}:mic")
            await self._tap.start(self.channel, self._sound.take, self.addresses)
        except BaseException:
            await self.close()
            raise
        return answer

    async def result(self) -> dict[str, Any] | None:
        """The figures and verdicts of the last seconds, or None when too little sound
        came yet (ask again in a moment)."""
        window = self._sound.window()
        return None if window is None else await asyncio.to_thread(figures_of, window)

    async def close(self) -> None:
        """End the check: its channel, the microphone's peer and the tap go."""
        await self.plane.close_channel(self.channel)
