"""Signaling over WebSocket: ``/api/live/{code}``.

The first message joins the event in a role; the server authorises it, records
the participant and the connection as the data map declares, and answers
``welcome`` (with ``ice_servers``, the STUN/TURN servers for its peer connections,
and ``ice_servers_ttl``, the seconds their TURN credentials work). After that, each
message is one request (``subscribe`` and ``switch``, with a ``slot``: ``main``,
``under`` for the floor a listener mixes beneath the interpretation, or ``lane1`` to
``lane3`` for a floor's other talkers; ``unsubscribe``,
``publish``, ``mic``, ``cough``, ``handover``, ``chat`` (booth chat), ``slowdown``,
``ice_servers``: fresh credentials,
``ping``, the meeting content's requests, :data:`interpreta.live.content.REQUESTS`, and
the meeting controls', :data:`interpreta.live.floor_control.REQUESTS`);
the reply echoes the request's ``id``. The welcome's ``content_token`` lets the page
share and fetch files over HTTP while this connection is open. Refusals are explicit
``error`` messages with a code; a refused join closes the socket with code 4403. In an
event with a waiting room, a listener's welcome says ``waiting`` and every request but
``ping`` is refused until a host lets them in (the ``admitted`` message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from interpreta.accounts.models import User
from interpreta.accounts.signin import COOKIE_NAME, user_for_token
from interpreta.datamap.activities import LIVE_EVENT
from interpreta.events import codes, participation
from interpreta.events.models import Event, Participant, ParticipantRole, RegistrationMode
from interpreta.i18n.catalogues import gettext
from interpreta.live import booth_requests, caption_delivery, content, floor_control, video
from interpreta.live.access import AccessDenied, BoothSeat, assigned_booths, authorise
from interpreta.live.booth import ConsoleError
from interpreta.live.hub import Client, LiveHub, close_reason
from interpreta.live.ice_servers import ice_servers, ice_servers_ttl
from interpreta.live.useragent import parse as parse_user_agent
from interpreta.media.plane import MediaPlaneError
from interpreta.meetings.people import ContentRefused
from interpreta.platform import Platform
from interpreta.privacy.processing import ProcessingStopped, enter, refuse_if_stopped
from interpreta.registration.registrations import ticket_holder

router = APIRouter()
log = logging.getLogger(__name__)

JOIN_TIMEOUT = 15.0
CLOSE_REFUSED = 4403
CLOSE_BAD_REQUEST = 4400


class BadRequest(Exception):
    """A message the server cannot read."""


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: cookies are the client's own
    return urlsplit(origin).netloc == websocket.headers.get("host")


def _join_records(
    platform: Platform,
    code: str,
    message: dict[str, Any],
    token: str | None,
    ua: str | None,
    ip: str | None,
) -> tuple[Event, User | None, ParticipantRole, BoothSeat | None, Any, Any, str]:
    """Authorise the join and write the participant and connection rows."""
    try:
        role = ParticipantRole(message.get("role", "listener"))
    except ValueError as exc:
        raise BadRequest(
            gettext("role must be listener, speaker, interpreter or moderator")
        ) from exc
    now = platform.clock.now()
    with platform.transaction() as db:
        event = db.scalar(
            select(Event).where(Event.code == codes.normalise(code), Event.purged_at.is_(None))
        )
        if event is None:
            raise AccessDenied(gettext("No event has this code."))
        user = user_for_token(db, token, now) if token else None
        key = message.get("key")
        holder = None
        if role is ParticipantRole.LISTENER and event.registration is not RegistrationMode.OPEN:
            ticket = message.get("ticket")
            holder = ticket_holder(db, platform.secrets.session_key, event.id, ticket)
        authorise(db, event, role, user, key if isinstance(key, str) else None, holder is not None)
        if user is not None:
            try:
                refuse_if_stopped(db, LIVE_EVENT, user_id=user.id, email=user.email)
            except ProcessingStopped as exc:
                raise AccessDenied(
                    gettext(
                        "You asked us to restrict the use of your data, so you cannot take part "
                        "while the restriction is in force; you can lift it in your privacy "
                        "centre."
                    )
                ) from exc
        seat = None
        if role is ParticipantRole.INTERPRETER:
            assert user is not None
            seats = assigned_booths(db, event.id, user.id)
            wanted = message.get("booth_id")
            seat = next((s for s in seats if s.booth_id == wanted), seats[0])
        topic_id = seat.topic_id if seat else message.get("topic_id")
        topic_ids = [t.id for t in event.topics]
        if topic_id not in topic_ids:
            topic_id = topic_ids[0]
        if holder is not None:  # the registration says who is listening
            name = f"{holder.first_name} {holder.last_name}"
            details = participation.Details(name, holder.email)
        else:
            try:
                details = participation.details_asked(event.listener_details, role, message)
            except participation.DetailsRefused as exc:
                raise BadRequest(str(exc)) from exc
        name = user.name if user is not None else details.name or role.value.title()
        participant = participation.join(
            db,
            event_id=event.id,
            role=role,
            now=now,
            user_id=user.id if user else None,
            resume_id=message.get("resume"),
            first_name=name if role is not ParticipantRole.LISTENER else details.name,
            email=details.email,
            phone=details.phone,
        )
        equipment = parse_user_agent(ua)
        connection = participation.open_connection(
            db,
            participant,
            now=now,
            topic_id=topic_id,
            browser=equipment.browser,
            os=equipment.os,
            device_type=equipment.device_type,
            ip_address=ip,
        )
        return event, user, role, seat, participant, connection, name


ELSEWHERE = "Your personal link was opened on another device."
"""Why a registered listener's earlier session ends."""


def _other_listeners(platform: Platform, event_id: int, email: str, key: str) -> list[str]:
    """The other listeners of the event who joined as the same registered address."""
    with platform.sessions() as db:
        return list(
            db.scalars(
                select(Participant.anonymous_id).where(
                    Participant.event_id == event_id,
                    Participant.role == ParticipantRole.LISTENER,
                    Participant.email == email,
                    Participant.anonymous_id != key,
                )
            )
        )


@router.websocket("/api/live/{code}")
async def live(websocket: WebSocket, code: str) -> None:
    """One browser's live session in an event."""
    enter(LIVE_EVENT)  # everything this connection does runs in the live-event activity
    platform: Platform = websocket.app.state.platform
    hub: LiveHub = websocket.app.state.live_hub
    if not _same_origin(websocket):
        await websocket.close(code=CLOSE_REFUSED, reason="cross-origin")
        return
    await websocket.accept()
    send_lock = asyncio.Lock()

    async def send(message: dict[str, Any]) -> None:
        async with send_lock:
            await websocket.send_json(message)

    try:
        first = await asyncio.wait_for(websocket.receive_json(), JOIN_TIMEOUT)
        if not isinstance(first, dict) or first.get("type") != "join":
            raise BadRequest(gettext("the first message must be a join"))
        event, user, role, seat, participant, connection, name = await asyncio.to_thread(
            _join_records,
            platform,
            code,
            first,
            websocket.cookies.get(COOKIE_NAME),
            websocket.headers.get("user-agent"),
            websocket.client.host if websocket.client else None,
        )
    except (AccessDenied, BadRequest) as exc:
        reason = exc.message if isinstance(exc, AccessDenied) else str(exc)
        with contextlib.suppress(Exception):
            await send({"type": "error", "code": "refused", "message": reason})
            await websocket.close(code=CLOSE_REFUSED, reason=close_reason(reason))
        return
    except (TimeoutError, WebSocketDisconnect, ValueError):
        with contextlib.suppress(Exception):
            await websocket.close(code=CLOSE_BAD_REQUEST)
        return

    if await hub.is_removed(event.id, participant.anonymous_id, user.id if user else None):
        await asyncio.to_thread(_close_connection, platform, connection.id)
        reason = gettext("A host removed you from this event.")
        with contextlib.suppress(Exception):
            await send({"type": "error", "code": "refused", "message": reason})
            await websocket.close(code=CLOSE_REFUSED, reason=close_reason(reason))
        return

    if event.registration is not RegistrationMode.OPEN and participant.email:
        # one personal link, one device: opening it elsewhere ends the earlier session
        others = await asyncio.to_thread(
            _other_listeners, platform, event.id, participant.email, participant.anonymous_id
        )
        for key in others:
            await hub.revoke(event.id, ELSEWHERE, key=key)

    client = Client(
        event_id=event.id,
        role=role,
        key=participant.anonymous_id,
        name=name,
        participant_id=participant.id,
        connection_id=connection.id,
        session_id=connection.session_id,
        topic_id=connection.topic_id,
        send=send,
        seat=seat,
        user_id=user.id if user is not None else None,
        mode=event.mode,
        close=lambda code, reason: websocket.close(code=code, reason=reason),
    )
    try:
        # the welcome goes first: what the hub sends the client once it is attached waits
        async with send_lock:
            live_event = await hub.attach(client, waiting_room=event.waiting_room)
            await websocket.send_json(
                {
                    "type": "welcome",
                    "participant": participant.anonymous_id,
                    "role": role.value,
                    "name": name,
                    "topic_id": client.topic_id,
                    "booth": None
                    if seat is None
                    else {
                        "booth_id": seat.booth_id,
                        "channel_id": seat.channel_id,
                        "language_code": seat.language_code,
                    },
                    "state": hub.view(live_event, client),
                    "ice_servers": ice_servers(platform.settings, platform.clock.now()),
                    "ice_servers_ttl": ice_servers_ttl(platform.settings),
                    "content_token": connection.session_id,
                    "waiting": client.waiting,
                }
            )
        while True:
            try:
                message = await websocket.receive_json()
            except (ValueError, KeyError):  # not JSON, or a binary frame
                refusal = gettext("Send JSON text.")
                await send({"type": "error", "code": "bad_request", "message": refusal})
                continue
            await _handle(hub, client, message, send)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await hub.detach(client)


def _close_connection(platform: Platform, connection_id: int) -> None:
    with platform.transaction() as db:
        participation.close_connection(db, connection_id, platform.clock.now())


async def _handle(hub: LiveHub, client: Client, message: Any, send: Any) -> None:
    if not isinstance(message, dict):
        await send(
            {"type": "error", "code": "bad_request", "message": gettext("Send JSON objects.")}
        )
        return
    kind, request_id = message.get("type"), message.get("id")
    reply: dict[str, Any] = {"type": "ok", "id": request_id, "for": kind}
    try:
        if client.waiting and kind not in ("ping", "ice_servers"):
            raise ConsoleError(
                "waiting", gettext("You are in the waiting room: a host lets you in.")
            )
        if kind == "subscribe" and message.get("slot") == "talkback":  # the booth's own
            sdp = await hub.subscribe_talkback(client, str(message["sdp"]))
            reply = {"type": "answer", "id": request_id, "for": kind, "sdp": sdp}
        elif kind == "subscribe":
            slot = str(message.get("slot", "main"))
            sdp = await hub.subscribe(client, int(message["channel_id"]), str(message["sdp"]), slot)
            reply = {"type": "answer", "id": request_id, "for": kind, "sdp": sdp}
        elif kind == "publish":
            sdp = await hub.publish(client, str(message["sdp"]))
            reply = {"type": "answer", "id": request_id, "for": kind, "sdp": sdp}
        elif kind == "switch":
            await hub.switch(client, int(message["channel_id"]), str(message.get("slot", "main")))
        elif kind == "unsubscribe":
            await hub.unsubscribe(client, str(message.get("slot", "under")))
        elif kind == "ice_servers":  # a long session's TURN credentials ran old
            settings = hub.platform.settings
            reply = {
                "type": "ice_servers",
                "id": request_id,
                "for": kind,
                "ice_servers": ice_servers(settings, hub.platform.clock.now()),
                "ice_servers_ttl": ice_servers_ttl(settings),
            }
        elif kind == "mic":
            await hub.console(client, "mic", on=bool(message.get("on")))
        elif kind == "cough":
            await hub.console(client, "cough", held=bool(message.get("held")))
        elif kind == "handover":
            action = str(message.get("action", ""))
            await hub.console(
                client,
                f"handover.{action}",
                to=message.get("to"),
                countdown=message.get("countdown"),
            )
        elif kind == "chat":
            await hub.booth_chat(client, str(message.get("text", "")))
        elif kind == "slowdown":
            await hub.slow_down(client)
        elif kind == "ping":
            reply = {"type": "pong", "id": request_id}
        elif kind in floor_control.REQUESTS:
            await floor_control.handle(hub, client, kind, message)
        elif kind == "soundcheck.start":
            sdp = await hub.start_sound_check(client, str(message["sdp"]))
            reply = {"type": "answer", "id": request_id, "for": kind, "sdp": sdp}
        elif kind == "soundcheck.result":
            result = await hub.sound_check_result(client)
            reply = {"type": "soundcheck", "id": request_id, "for": kind, "result": result}
        elif kind == "soundcheck.stop":
            await hub.stop_sound_check(client)
        elif kind in video.REQUESTS:
            found = await video.handle(hub, client, kind, message)
            reply = {"type": found.pop("type", "ok"), "id": request_id, "for": kind, **found}
        elif kind in booth_requests.REQUESTS:
            found = await booth_requests.handle(hub, client, kind, message)
            reply = {"type": found.pop("type", "ok"), "id": request_id, "for": kind, **found}
        elif kind in caption_delivery.REQUESTS:
            found = await hub.choose_captions(client, message)
            reply = {"type": "ok", "id": request_id, "for": kind, **found}
        elif kind in content.REQUESTS:
            found = await content.handle(hub, client, kind, message)
            reply = {"type": found.pop("type", "ok"), "id": request_id, "for": kind, **found}
        else:
            raise ConsoleError(
                "unknown_type", gettext("Unknown message type %(type)s.", type=repr(kind))
            )
    except AccessDenied as exc:
        reply = {
            "type": "error",
            "id": request_id,
            "for": kind,
            "code": "forbidden",
            "message": exc.message,
        }
    except (ConsoleError, ContentRefused) as exc:
        reply = {
            "type": "error",
            "id": request_id,
            "for": kind,
            "code": exc.code,
            "message": exc.message,
        }
    except (KeyError, ValueError, TypeError) as exc:
        reply = {
            "type": "error",
            "id": request_id,
            "for": kind,
            "code": "bad_request",
            "message": gettext("Malformed request: %(error)s", error=exc),
        }
    except MediaPlaneError as exc:
        reply = {
            "type": "error",
            "id": request_id,
            "for": kind,
            "code": "media",
            "message": str(exc),
        }
    except Exception:  # one failed request must not end the whole live session
        log.exception("live request %r failed", kind)
        reply = {
            "type": "error",
            "id": request_id,
            "for": kind,
            "code": "internal",
            "message": gettext("Something went wrong on our side; try again."),
        }
    await send(reply)
