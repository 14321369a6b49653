"""One interpreting booth's console state (ISO 20109 functions, without any I/O).

Each interpreter in the booth has a seat. At most one seat is *on air*: its
microphone feeds the language channel. The console functions are:

- microphone on/off: on only when no booth mate is on air (otherwise request a
  handover); off leaves the channel paused;
- cough key: while held, the on-air microphone is muted without leaving air;
- handover: the on-air interpreter (or a mate) asks, a booth mate accepts, and
  the channel's source passes from one microphone to the other in one step, with
  no gap and no overlap; or it is offered with a countdown, and passes by itself when
  the countdown ends (unless declined);
- takeover: a mate takes the microphone at once, without asking (the on-air
  interpreter lost their voice or their connection);
- talkback: while held, the interpreter's microphone reaches only their booth mates
  (and, if they are on air, leaves the air as the cough key does);
- output (B channel): the booth works into another language channel (a *retour*:
  the German booth into English while a German speaker has the floor); its own
  channel then carries the floor, or the relay the organiser chose.

Methods return the new *source* (the publisher peer to forward, or None) so the
caller can apply it to the media plane in one call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from interpreta.i18n.catalogues import gettext


class ConsoleError(Exception):
    """A console action that is not possible now (e.g. the mate is on air)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Seat:
    """An interpreter's place in the booth."""

    key: str
    name: str
    mic_peer: str | None = None
    coughing: bool = False


@dataclass
class HandoverRequest:
    """A pending handover: `giver` hands the microphone to `taker` (None: any mate).

    `requested_by` is who asked; the other side accepts.
    """

    giver: str
    taker: str | None
    requested_by: str
    due: float | None = None
    """When a countdown handover passes by itself (epoch seconds); None: a mate accepts."""


@dataclass
class BoothConsole:
    """The shared console of one booth."""

    channel_id: str
    seats: dict[str, Seat] = field(default_factory=dict)
    on_air: str | None = None
    handover: HandoverRequest | None = None
    output: int | None = None
    """The channel the booth works into while on a retour; None: its own channel."""
    retour_fill: int | None = None
    """What the booth's own channel carries during a retour: this channel (a relay the
    organiser chose), or the floor when None."""
    on_air_since: float | None = None
    """When the interpreter on air went on air (epoch seconds), for the 30-minute warning."""
    talking: str | None = None
    """The seat holding the talkback key: their microphone reaches only the booth."""

    def to_document(self) -> dict[str, Any]:
        """The console as JSON-ready data (how nodes share it)."""
        return {
            "seats": [asdict(seat) for seat in self.seats.values()],
            "on_air": self.on_air,
            "handover": None if self.handover is None else asdict(self.handover),
            "output": self.output,
            "retour_fill": self.retour_fill,
            "on_air_since": self.on_air_since,
            "talking": self.talking,
        }

    @classmethod
    def from_document(cls, channel_id: str, document: dict[str, Any]) -> BoothConsole:
        """The console :meth:`to_document` described."""
        seats = {s["key"]: Seat(**s) for s in document.get("seats", ())}
        handover = document.get("handover")
        return cls(
            channel_id,
            seats,
            document.get("on_air"),
            None if handover is None else HandoverRequest(**handover),
            document.get("output"),
            document.get("retour_fill"),
            document.get("on_air_since"),
            document.get("talking"),
        )

    def source(self) -> str | None:
        """The publisher to forward: the on-air microphone, unless coughing or talking
        to the booth."""
        seat = self.seats.get(self.on_air or "")
        if seat is None or seat.coughing or seat.mic_peer is None or self.talking == seat.key:
            return None
        return seat.mic_peer

    def talkback_source(self) -> str | None:
        """The publisher the booth's talkback carries: the microphone of whoever holds
        the talkback key."""
        seat = self.seats.get(self.talking or "")
        return None if seat is None else seat.mic_peer

    def sit(self, key: str, name: str) -> Seat:
        """An interpreter takes (or retakes, after a reconnect) a seat."""
        seat = self.seats.get(key)
        if seat is None:
            seat = self.seats[key] = Seat(key, name)
        return seat

    def leave(self, key: str) -> str | None:
        """An interpreter leaves or drops; if on air, the channel pauses."""
        self.seats.pop(key, None)
        if self.talking == key:
            self.talking = None
        if self.on_air == key:
            self.on_air = None
        if self.handover and key in (self.handover.giver, self.handover.taker):
            self.handover = None
        return self.source()

    def attach_microphone(self, key: str, peer_id: str | None) -> str | None:
        """Record the seat's microphone publisher (None when it went away)."""
        self._seat(key).mic_peer = peer_id
        return self.source()

    def microphone(self, key: str, on: bool) -> str | None:
        """Switch the interpreter's microphone on (go on air) or off."""
        seat = self._seat(key)
        if not on:
            if self.on_air == key:
                self.on_air = None
                self.handover = None  # nothing left to hand over
            return self.source()
        if self.on_air not in (None, key):
            raise ConsoleError(
                "mate_on_air", gettext("Your booth mate is on air: request a handover instead.")
            )
        if seat.mic_peer is None:
            raise ConsoleError("no_microphone", gettext("Your microphone is not connected yet."))
        self.on_air = key
        seat.coughing = False
        return self.source()

    def cough(self, key: str, held: bool) -> str | None:
        """Hold (True) or release (False) the cough key."""
        self._seat(key).coughing = held
        return self.source()

    def request_handover(
        self, key: str, taker: str | None = None, *, due: float | None = None
    ) -> HandoverRequest:
        """Ask to pass the microphone: the on-air interpreter offers it, or a mate asks.

        With `due` (a countdown's end), the microphone passes by itself then
        (:meth:`complete_due_handover`) unless a mate declines; an offer to any mate goes
        to the one whose microphone is connected.
        """
        self._seat(key)
        if len(self.seats) < 2:
            raise ConsoleError("alone", gettext("Nobody else is in the booth to hand over to."))
        if taker is not None and taker not in self.seats:
            raise ConsoleError("unknown_mate", gettext("That interpreter is not in the booth."))
        if self.on_air == key:
            if due is not None and taker is None:
                taker = next(
                    (s.key for s in self.seats.values() if s.key != key and s.mic_peer), None
                )
                if taker is None:
                    raise ConsoleError(
                        "no_microphone", gettext("No booth mate has a microphone connected.")
                    )
            self.handover = HandoverRequest(giver=key, taker=taker, requested_by=key, due=due)
        elif self.on_air is None:
            raise ConsoleError(
                "nobody_on_air", gettext("Nobody is on air: switch your microphone on.")
            )
        else:
            self.handover = HandoverRequest(giver=self.on_air, taker=key, requested_by=key, due=due)
        return self.handover

    def complete_due_handover(self, now: float) -> bool:
        """Pass the microphone if a countdown handover is due; whether it passed. A
        handover that cannot happen any more (the giver left the air, the taker's
        microphone went) is dropped."""
        request = self.handover
        if request is None or request.due is None or request.due > now:
            return False
        self.handover = None
        seat = self.seats.get(request.taker or "")
        if self.on_air != request.giver or seat is None or seat.mic_peer is None:
            return False
        self.on_air = seat.key
        seat.coughing = False
        return True

    def take_over(self, key: str) -> str | None:
        """Take the microphone at once, without the on-air mate accepting (they lost
        their voice or their connection)."""
        seat = self._seat(key)
        if seat.mic_peer is None:
            raise ConsoleError("no_microphone", gettext("Your microphone is not connected yet."))
        if self.on_air == key:
            return self.source()
        self.on_air = key
        seat.coughing = False
        self.handover = None
        return self.source()

    def talkback(self, key: str, held: bool) -> str | None:
        """Hold (True) or release (False) the talkback key: while held, the seat's
        microphone reaches only the booth mates; one seat talks back at a time."""
        seat = self._seat(key)
        if not held:
            if self.talking == key:
                self.talking = None
            return self.source()
        if self.talking not in (None, key):
            raise ConsoleError("mate_talking", gettext("Your booth mate is talking to you."))
        if seat.mic_peer is None:
            raise ConsoleError("no_microphone", gettext("Your microphone is not connected yet."))
        self.talking = key
        return self.source()

    def work_into(self, key: str, channel: int | None) -> None:
        """Switch the booth's output (any seated interpreter may): into `channel` (a
        retour), or back to its own channel with None. The caller checks that `channel`
        is another language channel of the booth's topic."""
        self._seat(key)
        self.output = None if channel is None or str(channel) == self.channel_id else channel

    def accept_handover(self, key: str) -> str | None:
        """Accept the pending handover: the microphone passes in one step."""
        request = self.handover
        if request is None:
            raise ConsoleError("no_request", gettext("There is no handover to accept."))
        if self.on_air != request.giver:
            self.handover = None
            raise ConsoleError(
                "stale", gettext("The handover is over: the giver is no longer on air.")
            )
        if key == request.requested_by:
            raise ConsoleError("not_yours", gettext("Your booth mate has to accept this handover."))
        if key == request.giver:
            assert request.taker is not None  # a mate asked: the taker is that mate
            taker = request.taker
        else:
            if request.taker not in (None, key):
                raise ConsoleError("not_yours", gettext("This handover is for another booth mate."))
            taker = key
        seat = self._seat(taker)
        if seat.mic_peer is None:
            raise ConsoleError(
                "no_microphone", gettext("The microphone of the taker is not connected.")
            )
        self.on_air = taker
        seat.coughing = False
        self.handover = None
        return self.source()

    def decline_handover(self, key: str) -> None:
        """Decline (or withdraw) the pending handover."""
        self._seat(key)
        self.handover = None

    def _seat(self, key: str) -> Seat:
        seat = self.seats.get(key)
        if seat is None:
            raise ConsoleError("not_seated", gettext("You are not in this booth."))
        return seat
