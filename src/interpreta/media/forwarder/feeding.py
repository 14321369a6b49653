"""Which channels a publisher feeds: its own while it is on air there, and any other
channel that borrowed it as its source (a retour, a talkback).

A publisher takes each packet (or frame) once and hands it to every channel it feeds, in
the order they took it on; a channel takes its source on and off with
:meth:`Feeder.start_feeding` and :meth:`Feeder.stop_feeding`. When the publisher goes,
:meth:`Feeder.leave` tells each of those channels, which are then left with no source.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Feeder", "PacketSink"]


class PacketSink(Protocol):
    """Where a publisher's packets (or frames) go: a channel whose source it is."""

    def forward(self, packet: Any) -> None:
        """Fan one packet (or a video frame) out."""
        ...

    def source_left(self, source: object) -> None:
        """`source`, which this sink took on, is gone: nobody is on air any more."""
        ...


class Feeder:
    """The channels one publisher is the source of (base of the publishers' ingresses).

    ``sinks`` is a tuple, replaced on each change, so the per-packet loop reads it
    without a copy and without a lock.
    """

    __slots__ = ("sinks",)

    def __init__(self) -> None:
        self.sinks: tuple[PacketSink, ...] = ()
        "The channels fed now, in the order they took this publisher on."

    def start_feeding(self, sink: PacketSink) -> None:
        """Forward to `sink` from the next packet on (nothing if it is fed already)."""
        if not any(fed is sink for fed in self.sinks):
            self.sinks = (*self.sinks, sink)

    def stop_feeding(self, sink: PacketSink) -> None:
        """Forward nothing more to `sink`."""
        self.sinks = tuple(fed for fed in self.sinks if fed is not sink)

    def leave(self) -> None:
        """The publisher is gone: every channel it fed is left with no source."""
        sinks, self.sinks = self.sinks, ()
        for sink in sinks:
            sink.source_left(self)
