"""Borrowed sources on Janus across app nodes: a channel of node B borrows a publisher
that joined another channel through node A (forwarded from that channel's room), and is
left with no source when the publisher goes, even on the shared record.

The contract (retour, talkback, hand back, closing, kinds) runs on Janus in
``test_media_borrowed_sources.py``; a fleet borrowing across servers is in
``test_media_janus_fleet.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from media_testkit import start_publisher, start_subscriber

from interpreta.media.janus import JanusMediaPlane
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.plane import UnknownPeerError

GERMAN, AGAIN = 1500.0, 700.0


async def test_a_node_borrows_a_publisher_of_another_node_s_channel(
    two_nodes: tuple[JanusMediaPlane, JanusMediaPlane], closing: list[Any]
) -> None:
    a, b = two_nodes
    address = [ensure_host_address()]
    await a.open_channel("de")
    await b.open_channel("en")  # node B has not even opened the German channel
    closing.append(await start_publisher(a, "de", "de-mic", GERMAN, addresses=address))
    await b.set_source("en", "de-mic")
    listener = await start_subscriber(b, "en", "en-listener", addresses=address)
    closing.append(listener)
    await listener.wait_for_tone(GERMAN)
    assert b.channel_stats("en").source == "de-mic"

    await a.close_peer("de-mic")  # node A's publisher goes: the shared record forgets it
    with pytest.raises(UnknownPeerError):
        await b.set_source("en", "de-mic")
    # The same peer id publishing again is a new publisher: node B forwards it anew
    # rather than taking the old record's forwarder for it.
    closing.append(await start_publisher(a, "de", "de-mic", AGAIN, addresses=address))
    await b.set_source("en", "de-mic")
    await listener.wait_for_tone(AGAIN)
