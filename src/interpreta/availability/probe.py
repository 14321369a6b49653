"""The synthetic join: what a listener does, timed, from outside the node (P23).

One probe loads the event's join page, opens two WebSocket sessions (a speaker
with the event's speaker key, and a listener), has the speaker send audio and the
listener subscribe to the floor, and waits for the listener's first audio frame.
The probe fails at the first step that does not happen within the time allowed,
and says which: ``page``, ``websocket``, ``media`` (an offer or answer refused) or
``audio`` (nothing arrived). The speaker sends silence: a frame is a frame.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack


@dataclass(frozen=True)
class ProbeOutcome:
    """What one synthetic join found."""

    ok: bool
    failed_at: str | None = None
    milliseconds: int | None = None
    detail: str = ""


class _StepFailed(Exception):
    def __init__(self, step: str, detail: str) -> None:
        super().__init__(detail)
        self.step = step


class _Session:
    """One signaling WebSocket: requests with ids, and their replies."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.serial = 0

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        self.serial += 1
        await self.socket.send(json.dumps({**message, "id": self.serial}))
        while True:
            reply = json.loads(await self.socket.recv())
            if reply.get("id") == self.serial:
                if reply.get("type") == "error":
                    raise _StepFailed("media", str(reply.get("message")))
                return dict(reply)


async def _join(
    stack: AsyncExitStack, url: str, tls: ssl.SSLContext | None, **join: Any
) -> tuple[_Session, dict[str, Any]]:
    socket = await stack.enter_async_context(websockets.connect(url, ssl=tls))
    await socket.send(json.dumps({"type": "join", **join}))
    welcome = json.loads(await socket.recv())
    if welcome.get("type") != "welcome":
        raise _StepFailed("websocket", str(welcome.get("message", "no welcome")))
    return _Session(socket), welcome


async def _peer(stack: AsyncExitStack) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    stack.push_async_callback(pc.close)
    return pc


async def _probe(
    base_url: str, code: str, speaker_key: str, tls: ssl.SSLContext | None, started: float
) -> ProbeOutcome:
    async with httpx.AsyncClient(verify=tls or True, timeout=10) as client:
        page = await client.get(f"{base_url}/join/{code}")
    if page.status_code != 200:
        raise _StepFailed("page", f"the join page answered {page.status_code}")
    socket_url = base_url.replace("https://", "wss://").replace("http://", "ws://")
    socket_url = f"{socket_url}/api/live/{code}"
    async with AsyncExitStack() as stack:
        try:
            speaker, _ = await _join(stack, socket_url, tls, role="speaker", key=speaker_key)
            listener, welcome = await _join(stack, socket_url, tls, role="listener")
        except (OSError, websockets.WebSocketException) as exc:
            raise _StepFailed("websocket", type(exc).__name__) from exc
        channels = welcome.get("state", {}).get("channels", [])
        floor = next((c["id"] for c in channels if c.get("kind") == "floor"), None)
        if floor is None:
            raise _StepFailed("websocket", "the event has no floor channel")
        sender = await _peer(stack)
        sender.addTransceiver(AudioStreamTrack(), direction="sendonly")
        await sender.setLocalDescription(await sender.createOffer())
        answer = await speaker.request({"type": "publish", "sdp": sender.localDescription.sdp})
        await sender.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        receiver = await _peer(stack)
        transceiver = receiver.addTransceiver("audio", direction="recvonly")
        await receiver.setLocalDescription(await receiver.createOffer())
        offer = {"type": "subscribe", "channel_id": floor, "sdp": receiver.localDescription.sdp}
        answer = await listener.request(offer)
        await receiver.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        try:
            await transceiver.receiver.track.recv()
        except Exception as exc:
            raise _StepFailed("audio", type(exc).__name__) from exc
        return ProbeOutcome(True, milliseconds=round((time.monotonic() - started) * 1000))


async def synthetic_join(
    base_url: str,
    code: str,
    speaker_key: str,
    *,
    timeout: float = 15.0,
    tls: ssl.SSLContext | None = None,
) -> ProbeOutcome:
    """Join event `code` at `base_url` as a listener would, with a speaker on the floor;
    never raises: a failure is an outcome naming its step."""
    started = time.monotonic()
    step = "page"
    try:
        return await asyncio.wait_for(
            _probe(base_url.rstrip("/"), code, speaker_key, tls, started), timeout
        )
    except _StepFailed as failed:
        return ProbeOutcome(False, failed.step, detail=str(failed))
    except TimeoutError:
        return ProbeOutcome(False, "audio", detail=f"no audio within {timeout:g} s")
    except (OSError, httpx.HTTPError) as exc:
        return ProbeOutcome(False, step, detail=type(exc).__name__)
