"""WHIP (RFC 9725): a room's mixing desk, OBS or a hardware encoder feeds an event's floor.

The WHIP endpoint of an event is ``/api/live/{code}/whip`` (its event code, as in the live
WebSocket's ``/api/live/{code}``); ``?topic=<id>`` chooses a topic other than the first.
Every request but ``OPTIONS`` carries ``Authorization: Bearer <ingest key>``, the event's
ingest key (the organiser's event API shows and rotates it).

- ``POST`` the endpoint with an ``application/sdp`` offer: ``201 Created`` with the answer
  (every ICE candidate in it), ``Location`` (the WHIP session), ``ETag`` (its ICE
  session) and a ``Link`` per STUN/TURN server (``rel="ice-server"``). A missing or
  wrong key is ``401``, an unreadable offer ``400``, another media type ``415``; nothing
  is created then. The feed is a virtual speaker (:mod:`interpreta.live.ingest`).
- ``DELETE`` the session: the feed ends (``200``).
- ``PATCH`` the session: ``405``. The media planes take no trickle ICE and no ICE
  restart (the answer carries every candidate; RFC 9725 makes both optional), so PATCH
  is not a method of a WHIP session here, and the ``201`` offers no ``Accept-Patch``.
- ``OPTIONS`` either: ``204`` with the CORS headers and ``Accept-Post:
  application/sdp``; ``GET`` either: ``204`` (a WHIP resource has no representation).

Errors are problem documents (RFC 9457), as RFC 9725 recommends. The bearer key is the
only credential (no cookie is read), so requests from pages of other origins are
allowed (``Access-Control-Allow-Origin: *``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from interpreta.api.dependencies import PlatformDep, within
from interpreta.api.inputs import MAX_ROW_ID
from interpreta.datamap.activities import LIVE_EVENT
from interpreta.errors import Problem
from interpreta.events import codes
from interpreta.i18n.catalogues import N_, gettext
from interpreta.live.ice_servers import IceServer, ice_servers
from interpreta.live.ingest import FeedKind, FeedRefused, Refusal, RoomFeeds

router = APIRouter(tags=["live"], dependencies=[within(LIVE_EVENT)])

ENDPOINT = "/api/live/{code}/whip"
SESSION = "/api/live/{code}/whip/{session}"
SDP = "application/sdp"

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Location, ETag, Link, Accept-Post",
}
"""What every response of the WHIP resources carries (readable by pages anywhere)."""

ENDPOINT_METHODS = "GET, OPTIONS, POST"
SESSION_METHODS = "DELETE, GET, OPTIONS"

Code = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9 -]+$")]
SessionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _problem(status: int, title: str, detail: str, **headers: str) -> Problem:
    return Problem(status, title, detail, headers={**CORS, **headers})


def _unauthorised(detail: str, *, invalid: bool) -> Problem:
    challenge = 'Bearer realm="interpreta"' + (', error="invalid_token"' if invalid else "")
    return _problem(401, gettext("Unauthorized"), detail, **{"WWW-Authenticate": challenge})


def _bearer(request: Request) -> str:
    """The request's bearer token; 401 when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised(
            gettext("Send the event's ingest key as a bearer token."), invalid=False
        )
    return token.strip()


def _refused(exc: FeedRefused) -> Problem:
    """The problem document of a refusal."""
    if exc.refusal is Refusal.WRONG_KEY:
        return _unauthorised(exc.message, invalid=True)
    if exc.refusal is Refusal.UNKNOWN_EVENT:
        return _problem(404, gettext("Not found"), exc.message)
    if exc.refusal is Refusal.BAD_OFFER:
        return _problem(400, gettext("Bad request"), exc.message)
    if exc.refusal is Refusal.UNKNOWN_TOPIC:
        return _problem(422, gettext("Invalid input"), exc.message)
    return _problem(403, gettext("Forbidden"), exc.message)


def check_offer(sdp: str) -> None:
    """Refuse (400) an offer a WHIP session cannot answer: not SDP, no Opus audio that it
    sends, no ICE credentials or DTLS fingerprint."""
    lines = [line.strip() for line in sdp.splitlines() if line.strip()]
    if not lines or lines[0] != "v=0":
        raise _problem(
            400,
            gettext("Bad request"),
            gettext("The body is not an SDP offer (it starts with v=0)."),
        )
    sections: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    session, media = sections[0], sections[1:]
    audio = [s for s in media if s[0].startswith("m=audio ")]
    if not audio:
        raise _problem(400, gettext("Bad request"), gettext("The offer sends no audio (m=audio)."))
    if not any("opus/48000" in line.lower() for s in audio for line in s):
        raise _problem(400, gettext("Bad request"), gettext("The offer's audio is not Opus."))
    if all({"a=recvonly", "a=inactive"} & set(s) for s in audio):
        raise _problem(
            400, gettext("Bad request"), gettext("The offer must send its audio (sendonly).")
        )

    def present(prefix: str) -> bool:
        return any(line.startswith(prefix) for line in session) or all(
            any(line.startswith(prefix) for line in s) for s in audio
        )

    for prefix, what in (
        ("a=ice-ufrag:", N_("ICE username fragment")),
        ("a=ice-pwd:", N_("ICE password")),
        ("a=fingerprint:", N_("DTLS fingerprint")),
    ):
        if not present(prefix):
            detail = gettext(
                "The offer has no %(what)s (%(attribute)s).",
                what=gettext(what),
                attribute=prefix[:-1],
            )
            raise _problem(400, gettext("Bad request"), detail)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ice_server_links(servers: list[IceServer]) -> list[str]:
    """The ``Link`` header values (RFC 9725, 4.6) of the STUN/TURN servers."""
    links = []
    for server in servers:
        for url in server["urls"]:
            link = f'<{url}>; rel="ice-server"'
            if "username" in server and "credential" in server:
                link += f"; username={_quoted(server['username'])}"
                link += f"; credential={_quoted(server['credential'])}"
                link += '; credential-type="password"'
            links.append(link)
    return links


def _feeds(request: Request) -> RoomFeeds:
    feeds: RoomFeeds = request.app.state.room_feeds
    return feeds


@router.options(ENDPOINT, include_in_schema=False)
async def endpoint_options() -> Response:
    """CORS and what the endpoint takes (RFC 9725, 4.2)."""
    return Response(status_code=204, headers=_preflight(ENDPOINT_METHODS, accept_post=True))


@router.get(ENDPOINT, status_code=204, response_class=Response)
async def endpoint(code: Code) -> Response:
    """The WHIP endpoint has no representation (RFC 9725, 4.1)."""
    return Response(status_code=204, headers=CORS)


@router.post(
    ENDPOINT,
    status_code=201,
    response_class=Response,
    responses={201: {"description": "The answer (SDP)", "content": {SDP: {}}}},
)
async def publish(
    code: Code,
    request: Request,
    platform: PlatformDep,
    topic: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    """Start a room feed from the encoder's offer: ``201`` with the answer, the session's
    ``Location`` and ``ETag``."""
    key = _bearer(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != SDP:
        raise _problem(
            415,
            gettext("Unsupported media type"),
            gettext("Send the offer as application/sdp."),
            **{"Accept-Post": SDP},
        )
    try:
        offer = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(
            400, gettext("Bad request"), gettext("The offer is not UTF-8 text.")
        ) from exc
    feeds = _feeds(request)
    try:
        await feeds.check(code, key, topic, FeedKind.WHIP)  # the key, before the offer
        check_offer(offer)
        feed, answer = await feeds.start(
            FeedKind.WHIP,
            code,
            key,
            offer,
            topic_id=topic,
            user_agent=request.headers.get("user-agent"),
            ip=request.client.host if request.client else None,
        )
    except FeedRefused as exc:
        raise _refused(exc) from exc
    location = str(request.url_for("whip_session", code=feed.target.code, session=feed.id))
    response = Response(
        answer,
        status_code=201,
        media_type=SDP,
        headers={**CORS, "Location": location, "ETag": feed.etag},
    )
    for link in ice_server_links(ice_servers(platform.settings, platform.clock.now())):
        response.headers.append("Link", link)
    return response


@router.options(SESSION, include_in_schema=False)
async def session_options() -> Response:
    """CORS for the WHIP session."""
    return Response(status_code=204, headers=_preflight(SESSION_METHODS, accept_post=False))


@router.get(SESSION, name="whip_session", status_code=204, response_class=Response)
async def session(code: Code, session: SessionId, request: Request) -> Response:
    """A WHIP session has no representation: ``204`` while it runs, ``404`` after."""
    key = _bearer(request) if "authorization" in request.headers else None
    await _session_event(request, code, session, key=key)
    return Response(status_code=204, headers=CORS)


@router.delete(SESSION, status_code=200, response_class=Response)
async def end(code: Code, session: SessionId, request: Request) -> Response:
    """End the room feed (RFC 9725, 4.2)."""
    event_id = await _session_event(request, code, session, key=_bearer(request))
    if not await _feeds(request).stop(event_id, session, "its sender ended it"):
        raise _problem(404, gettext("Not found"), gettext("No such WHIP session."))
    return Response(status_code=200, headers=CORS)


@router.patch(SESSION, include_in_schema=False)
async def patch(code: Code, session: SessionId) -> Response:
    """No trickle ICE and no ICE restart: PATCH is not a method of a WHIP session here."""
    raise _problem(
        405,
        gettext("Method not allowed"),
        gettext(
            "This server takes no trickle ICE and no ICE restart: the answer carries every "
            "candidate. End the session and start a new one."
        ),
        Allow=SESSION_METHODS,
    )


async def _session_event(request: Request, code: str, session: str, key: str | None = None) -> int:
    """The event of a running WHIP session (checking `key` when given); 404 otherwise."""
    feeds = _feeds(request)
    if key is not None:
        try:
            target = await feeds.check(code, key)
        except FeedRefused as exc:
            if exc.refusal is Refusal.WRONG_KEY:
                raise _refused(exc) from exc
            raise _problem(404, gettext("Not found"), gettext("No such WHIP session.")) from exc
        event_id = target.event_id
    else:
        feed = feeds.get(session)
        event_id = feed.target.event_id if feed is not None else -1
        if feed is None or feed.target.code != codes.normalise(code):
            raise _problem(404, gettext("Not found"), gettext("No such WHIP session."))
    if not await feeds.exists(event_id, session):
        raise _problem(404, gettext("Not found"), gettext("No such WHIP session."))
    return event_id


def _preflight(methods: str, *, accept_post: bool) -> dict[str, str]:
    headers = {
        **CORS,
        "Allow": methods,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
        "Access-Control-Max-Age": "86400",
    }
    if accept_post:
        headers["Accept-Post"] = SDP
    return headers
