"""Page routes: server-rendered HTML (Jinja2) enhanced by small ES modules.

The pages read the database the way the API does (``platform.sessions()``) and
leave every write to the JSON API, which the page scripts call. Pages that do not
exist for the caller answer with an HTML 404 page, never with a problem document.
"""

from __future__ import annotations

import hmac
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel import dates as babel_dates
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta import __version__
from interpreta.accounts import actions as account_actions
from interpreta.accounts.actions import membership
from interpreta.accounts.models import MemberRole, Membership, Organisation, User
from interpreta.api.auth import end_session
from interpreta.api.dependencies import OptionalUserDep, PlatformDep, within
from interpreta.api.events import event_out, load_event
from interpreta.api.inputs import PathId
from interpreta.availability import records
from interpreta.datamap import storage
from interpreta.datamap.activities import ACCOUNT, CUSTOMER_VIEW, RECORDING
from interpreta.datamap.storage import BANNER_VERSION
from interpreta.errors import Problem
from interpreta.events import codes, languages
from interpreta.events.join import public_info
from interpreta.events.models import Event
from interpreta.i18n import catalogues, locales
from interpreta.i18n.catalogues import N_, Translated, gettext
from interpreta.live.access import assigned_booths, speaker_key
from interpreta.platform import Platform
from interpreta.privacy.models import NoticeVersion
from interpreta.privacy.notice import (
    RenderedNotice,
    latest_version,
    published_on,
    text_of,
    version_line,
)
from interpreta.privacy.processing import processing, runs_in
from interpreta.recordings import store as recording_store
from interpreta.visitors import choices
from interpreta.web.qr import join_qr_svg, join_qr_svg_file

router = APIRouter(include_in_schema=False, dependencies=[within(CUSTOMER_VIEW)])

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)

MANAGERS = (MemberRole.OWNER, MemberRole.ORGANISER)
"""Roles that may create and change events (as in the API)."""

_CODE_CHARS = codes.ALPHABET + "".join(c.lower() for c in codes.ALPHABET if c.isalpha())
CODE_PATTERN = f"[{_CODE_CHARS}]{{{codes.MIN_LENGTH},{codes.MAX_LENGTH}}}"
"""The HTML ``pattern`` of an event code as typed (either case)."""

TIMEZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

STATUS_LABELS = Translated({"draft": N_("Draft"), "live": N_("Live now"), "ended": N_("Ended")})
"""How an event's status reads to its organisers."""

PUBLIC_STATUS_LABELS = Translated(
    {"draft": N_("Not live yet"), "live": N_("Live now"), "ended": N_("Ended")}
)
"""How an event's status reads to listeners."""

EN_DASH = "\u2013"

_UNSAFE_NEXT = re.compile(r"[\\\s]")


def _asset(path: str) -> str:
    """The URL of a static file, with the version as cache buster."""
    return f"/static/{path}?v={__version__}"


catalogues.install(templates.env)
templates.env.globals.update(
    site_languages=[(code, locales.own_name(code)) for code in locales.SUPPORTED],
    product="Interpreta",
    asset=_asset,
    code_pattern=CODE_PATTERN,
    code_min=codes.MIN_LENGTH,
    code_max=codes.MAX_LENGTH,
    status_labels=STATUS_LABELS,
    public_status_labels=PUBLIC_STATUS_LABELS,
)


# --- helpers ----------------------------------------------------------------------------


def timezone_groups() -> list[tuple[str, list[str]]]:
    """IANA time zones for a select, grouped by region (UTC first, alone)."""
    names = zoneinfo.available_timezones()
    groups: list[tuple[str, list[str]]] = [("UTC", ["UTC"])]
    for region in TIMEZONE_REGIONS:
        members = sorted(n for n in names if n.startswith(region + "/"))
        if members:
            groups.append((region, members))
    return groups


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def in_zone(moment: datetime | str, timezone: str) -> datetime:
    """`moment` (aware, or ISO text) as wall time in the IANA zone `timezone`."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(_zone(timezone))


def _day(value: datetime) -> str:
    """'Tuesday 1 December 2026' in English; the current language's full date (CLDR)
    otherwise ('Dienstag, 1. Dezember 2026')."""
    locale = locales.current()
    if locale == locales.DEFAULT:
        return f"{value:%A} {value.day} {value:%B %Y}"
    return babel_dates.format_date(value.date(), format="full", locale=locale)


def format_schedule(starts_at: datetime | str, ends_at: datetime | str, timezone: str) -> str:
    """'Tuesday 1 December 2026, 09:00-17:00 CET' (with an en dash), in the event's zone."""
    start, end = in_zone(starts_at, timezone), in_zone(ends_at, timezone)
    zone = end.tzname() or timezone
    if start.date() == end.date():
        return f"{_day(start)}, {start:%H:%M}{EN_DASH}{end:%H:%M} {zone}"
    return f"{_day(start)}, {start:%H:%M} {EN_DASH} {_day(end)}, {end:%H:%M} {zone}"


def format_date(moment: datetime | str, timezone: str) -> str:
    """'1 Dec 2026, 09:00' in the event's time zone."""
    value = in_zone(moment, timezone)
    locale = locales.current()
    if locale == locales.DEFAULT:
        return f"{value.day} {value:%b %Y, %H:%M}"
    return babel_dates.format_datetime(value, format="medium", locale=locale)


def local_input_value(moment: datetime, timezone: str) -> str:
    """The value of a ``datetime-local`` input showing `moment` in `timezone`."""
    return f"{in_zone(moment, timezone):%Y-%m-%dT%H:%M}"


def safe_next(target: str | None, default: str = "/events") -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if _UNSAFE_NEXT.search(target):
        return default
    return target


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def render(
    request: Request,
    name: str,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render template `name` with the signed-in `user` (or None) and `context`, in the
    visitor's language (``?lang=`` sets it and is kept in a cookie; else the browser's)."""
    asked = locales.supported(request.query_params.get("lang"))
    locale = locales.choose(
        asked, request.cookies.get(locales.COOKIE), request.headers.get("accept-language")
    )
    locales.use(locale)
    choice = choices.read(request.cookies.get(choices.COOKIE))
    answered = choice is not None and choice.current
    response = templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "locale": locale,
            "script_messages": catalogues.script_messages(locale),
            "consent_banner": not answered,
            "banner_version": BANNER_VERSION,
            "storage_data": {
                "items": storage.for_pages(),
                "preferences": answered and choice is not None and choice.preferences,
                "version": BANNER_VERSION,
            },
            **context,
        },
        status_code=status_code,
    )
    if asked is not None:
        response.set_cookie(
            locales.COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax", secure=True
        )
    return response


def meeting_panel(platform: Platform, *, host: bool = False) -> dict[str, Any]:
    """What the meeting panel (``_meeting.html``) of a live page needs."""
    return {
        "meeting_host": host,
        "meeting_file_mb": platform.settings.meeting_file_max_bytes // (1024 * 1024),
    }


def not_found_page(
    request: Request, user: User | None, message: str, code: str = ""
) -> HTMLResponse:
    """The friendly HTML 404 page, with the join form (holding `code`, to correct it)."""
    return render(request, "not_found.html", user, status_code=404, message=message, code=code)


@dataclass(frozen=True)
class OrganisationEvents:
    """One organisation of the signed-in user with its events, for the events page."""

    id: int
    name: str
    role: str
    can_manage: bool
    events: list[dict[str, Any]]


@runs_in(ACCOUNT)
def _memberships(user: User, db: Any) -> list[tuple[Organisation, Membership]]:
    rows = db.execute(
        select(Organisation, Membership)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
        .order_by(Organisation.name)
    ).all()
    return [(org, member) for org, member in rows]


# --- public pages -----------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: OptionalUserDep) -> HTMLResponse:
    """Home: join an event by its code."""
    return render(request, "home.html", user)


@router.get("/join", response_model=None)
def join_form(code: str = "") -> RedirectResponse:
    """The home form's target (works without JavaScript): on to ``/join/{code}``."""
    normalised = codes.normalise(code)
    if not normalised:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/join/{quote(normalised, safe='')}", status_code=303)


@router.get("/join/{code}", response_model=None)
def join_page(
    code: str, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """An event's public page, by event code: schedule, status, topics and channels."""
    normalised = codes.normalise(code)
    if normalised != code and codes.is_well_formed(normalised):
        return RedirectResponse(f"/join/{normalised}", status_code=307)
    info = platform.join_cache.info(code)
    if info is None:
        return not_found_page(
            request,
            user,
            gettext("No event has this code. Check it with the organiser and try again."),
            code=normalised[: codes.MAX_LENGTH],
        )
    schedule = format_schedule(info["starts_at"], info["ends_at"], info["timezone"])
    player = {"code": info["code"], "status": info["status"], "topics": live_topics(info)}
    ticket = request.query_params.get("ticket", "")[:100]
    if ticket:
        player["ticket"] = ticket
    return render(
        request,
        "join.html",
        user,
        event=info,
        schedule=schedule,
        player=player,
        registration_needed=info["registration"] != "open" and not ticket,
        **meeting_panel(platform),
    )


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, user: OptionalUserDep, platform: PlatformDep) -> HTMLResponse:
    """The privacy notice in force, and its earlier versions."""
    with platform.sessions() as db:
        current = latest_version(db)
        versions = list(db.scalars(select(NoticeVersion).order_by(NoticeVersion.number.desc())))
        text = text_of(db, current, locales.current()) if current is not None else None
    if current is None or text is None:
        return not_found_page(
            request, user, gettext("The privacy notice has not been published yet.")
        )
    return _notice_page(request, user, current, text, versions, is_latest=True)


@router.get("/privacy/versions/{number}", response_class=HTMLResponse)
def privacy_version(
    number: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> HTMLResponse:
    """One published version of the privacy notice."""
    with platform.sessions() as db:
        version = db.scalar(select(NoticeVersion).where(NoticeVersion.number == number))
        current = latest_version(db)
        versions = list(db.scalars(select(NoticeVersion).order_by(NoticeVersion.number.desc())))
        text = text_of(db, version, locales.current()) if version is not None else None
    if version is None or text is None:
        return not_found_page(
            request, user, gettext("There is no version %(number)s of the notice.", number=number)
        )
    is_latest = current is not None and current.number == version.number
    return _notice_page(request, user, version, text, versions, is_latest=is_latest)


def _notice_page(
    request: Request,
    user: User | None,
    version: NoticeVersion,
    text: RenderedNotice,
    versions: list[NoticeVersion],
    *,
    is_latest: bool,
) -> HTMLResponse:
    """A version of the notice as it was published in the visitor's language (English
    for versions published before the translations), with every version's date."""
    return render(
        request,
        "privacy.html",
        user,
        notice=version,
        notice_html=text.html,
        notice_language=text.language,
        notice_line=version_line(version),
        published={v.number: published_on(v) for v in versions},
        versions=versions,
        is_latest=is_latest,
    )


# --- accounts ---------------------------------------------------------------------------


@router.get("/login", response_model=None)
def login_page(request: Request, user: OptionalUserDep, next: str | None = None) -> Response:
    """The sign-in form (posts to ``/api/auth/login``)."""
    target = safe_next(next)
    if user is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", user, next=target)


@router.get("/signup", response_model=None)
def signup_page(request: Request, user: OptionalUserDep, next: str | None = None) -> Response:
    """The sign-up form (posts to ``/api/auth/signup``)."""
    target = safe_next(next)
    if user is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "signup.html", user, next=target)


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, user: OptionalUserDep) -> HTMLResponse:
    """Ask before signing out (signing out itself is a POST)."""
    return render(request, "logout.html", user)


@router.post("/logout", response_model=None)
def logout(request: Request, platform: PlatformDep) -> RedirectResponse:
    """Sign out: end the session on the server, drop the cookie, go home."""
    return end_session(platform, request, RedirectResponse("/", status_code=303))


# --- organisers -------------------------------------------------------------------------


@router.get("/events", response_model=None)
def events_page(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """The signed-in user's events, organisation by organisation."""
    if user is None:
        return _login_redirect(request)
    organisations: list[OrganisationEvents] = []
    now = platform.clock.now()
    with platform.sessions() as db:
        for organisation, member in _memberships(user, db):
            events = db.scalars(
                select(Event)
                .where(Event.organisation_id == organisation.id, Event.purged_at.is_(None))
                .order_by(Event.starts_at.desc())
            )
            organisations.append(
                OrganisationEvents(
                    id=organisation.id,
                    name=organisation.name,
                    role=str(member.role),
                    can_manage=member.role in MANAGERS,
                    events=[
                        {
                            "id": e.id,
                            "title": e.title,
                            "code": e.code,
                            "status": str(e.status),
                            "when": format_date(e.starts_at, e.timezone),
                            "starts_at": e.starts_at.isoformat(),
                            "timezone": e.timezone,
                        }
                        for e in events
                    ],
                )
            )
        maintenance = records.windows(db, now, now + records.ANNOUNCED_AHEAD)
    return render(
        request, "events.html", user, organisations=organisations, maintenance=maintenance
    )


def _language_options() -> list[tuple[str, str]]:
    return sorted(languages.NAMES.items(), key=lambda item: item[1].casefold())


@router.get("/events/new", response_model=None)
def new_event_page(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    organisation: int | None = None,
) -> Response:
    """The editor, empty: creates an event in one of the user's organisations."""
    if user is None:
        return _login_redirect(request)
    with platform.sessions() as db:
        choices = [
            {"id": org.id, "name": org.name}
            for org, member in _memberships(user, db)
            if member.role in MANAGERS
        ]
    if organisation is not None:
        chosen = [c for c in choices if c["id"] == organisation]
        if not chosen:
            return not_found_page(
                request, user, gettext("You cannot create events for this organisation.")
            )
    return render(
        request,
        "event_editor.html",
        user,
        mode="new",
        event=None,
        organisations=choices,
        selected_organisation=organisation,
        can_manage=bool(choices),
        timezone_groups=timezone_groups(),
        current_timezone="UTC",
        starts_value="",
        ends_value="",
        language_options=_language_options(),
        data={
            "mode": "new",
            "event": None,
            "members": [],
            "can_manage": bool(choices),
            "language_names": languages.NAMES,
            "status_labels": dict(STATUS_LABELS),
        },
    )


@router.get("/events/{event_id}", response_model=None)
def event_page(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """The editor of one event, for members of its organisation (404 for anyone else)."""
    if user is None:
        return _login_redirect(request)
    with platform.sessions() as db:
        try:
            event = load_event(db, event_id, user)
        except Problem:
            return not_found_page(
                request, user, gettext("There is no such event in your organisations.")
            )
        document = event_out(db, event).model_dump(mode="json")
        member = next(
            m for _org, m in _memberships(user, db) if m.organisation_id == event.organisation_id
        )
        can_manage = member.role in MANAGERS
        members = (
            [
                {"user_id": uid, "name": name, "email": email}
                for uid, name, email in account_actions.members(db, event.organisation_id)
            ]
            if can_manage
            else []
        )
        organisation_name = account_actions.organisation_name(db, event.organisation_id)
        with processing(RECORDING):
            recorded = recording_store.listed(db, event_id) if can_manage else []
        starts_value = local_input_value(event.starts_at, event.timezone)
        ends_value = local_input_value(event.ends_at, event.timezone)
        schedule = format_schedule(event.starts_at, event.ends_at, event.timezone)
    base = str(request.base_url).rstrip("/")
    join_url = _join_url(request, document["code"])
    live_links = (
        _live_links(base, document["code"], event_id, document["topics"], platform)
        if can_manage
        else None
    )
    return render(
        request,
        "event_editor.html",
        user,
        mode="edit",
        event=document,
        organisation_name=organisation_name,
        organisations=[],
        selected_organisation=document["organisation_id"],
        can_manage=can_manage,
        timezone_groups=timezone_groups(),
        current_timezone=document["timezone"],
        starts_value=starts_value,
        ends_value=ends_value,
        schedule=schedule,
        join_url=join_url,
        live_links=live_links,
        recordings=recorded,
        created=request.query_params.get("created") == "1",
        language_options=_language_options(),
        data={
            "mode": "edit",
            "event": document,
            "members": members,
            "can_manage": can_manage,
            "language_names": languages.NAMES,
            "status_labels": dict(STATUS_LABELS),
        },
    )


@router.get("/events/{event_id}/engagement", response_model=None)
def engagement_page(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """The organisers' engagement estimates of an event (P37): the notice, the estimates
    by participant, and the review queue with its evidence. The page's script reads and
    writes them through the API (``/api/events/{id}/engagement``), which answers only
    the event's owners and organisers; so does this page (404 for anyone else)."""
    if user is None:
        return _login_redirect(request)
    with platform.sessions() as db:
        event = _managed_event(request, user, db, event_id)
        if isinstance(event, Response):
            return event
        organisation_name = account_actions.organisation_name(db, event.organisation_id)
        document = {
            "id": event.id,
            "title": event.title,
            "code": event.code,
            "schedule": format_schedule(event.starts_at, event.ends_at, event.timezone),
        }
    return render(
        request,
        "engagement.html",
        user,
        event=document,
        organisation_name=organisation_name,
        data={"event_id": event_id, "organisation": organisation_name},
    )


# --- live -------------------------------------------------------------------------------


def _channel_label(
    kind: str, language_code: str | None, name: str | None, machine: bool = False
) -> str:
    """A channel's name as the pages show it; a machine channel's says it is a machine
    (EU AI Act Art. 50)."""
    if kind == "floor":
        return gettext("Floor (original)")
    code = language_code or ""
    label = name or languages.NAMES.get(code, code)
    if machine:
        return gettext("%(language)s (machine translation, synthetic voice)", language=label)
    return label


def live_topics(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's topics and channels (from :func:`public_info`) for the live pages."""
    return [
        {
            "id": topic["id"],
            "name": topic["name"],
            "channels": [
                {
                    "id": c["id"],
                    "kind": c["kind"],
                    "language_code": c["language_code"],
                    "machine": c["machine"],
                    "name": _channel_label(c["kind"], c["language_code"], c["name"], c["machine"]),
                }
                for c in topic["channels"]
            ],
        }
        for topic in info["topics"]
    ]


def speaker_url(base: str, code: str, key: str, topic_id: int | None = None) -> str:
    """The speaker link of an event (of one topic, when the event has several)."""
    url = f"{base}/speak/{code}?key={key}"
    return url if topic_id is None else f"{url}&topic={topic_id}"


def _live_links(
    base: str, code: str, event_id: int, topics: list[dict[str, Any]], platform: Any
) -> dict[str, Any]:
    with platform.sessions() as db:
        key = speaker_key(db, event_id)
    several = len(topics) > 1
    return {
        "live_view": f"/events/{event_id}/live",
        "interpreter": f"{base}/interpret/{code}",
        "speakers": [
            {"topic": t["name"], "url": speaker_url(base, code, key, t["id"] if several else None)}
            for t in topics
        ],
    }


def _live_event(db: Any, code: str) -> Event | None:
    return db.scalar(
        select(Event).where(Event.code == codes.normalise(code), Event.purged_at.is_(None))
    )


def _manages(db: Any, user: User | None, event: Event) -> bool:
    if user is None:
        return False
    member = membership(db, event.organisation_id, user)
    return member is not None and member.role in MANAGERS


@router.get("/speak/{code}", response_model=None)
def speak_page(
    code: str,
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    key: str = "",
    topic: int | None = None,
) -> Response:
    """The speaker's page: publish the microphone to the topic's floor (speaker link)."""
    with platform.sessions() as db:
        event = _live_event(db, code)
        info = public_info(db, code) if event is not None else None
        if event is None or info is None:
            return not_found_page(request, user, gettext("No event has this code."))
        expected = event.speaker_key
        if not key and _manages(db, user, event):
            key = expected
    if not hmac.compare_digest(key.encode(), expected.encode()):
        return not_found_page(
            request,
            user,
            gettext("This speaker link is not valid. Ask the organiser for the current one."),
        )
    topics = live_topics(info)
    chosen = next((t for t in topics if t["id"] == topic), topics[0])
    data = {"code": info["code"], "key": key, "topic_id": chosen["id"], "topics": topics}
    return render(
        request,
        "live_speaker.html",
        user,
        event=info,
        topic=chosen,
        topics=topics,
        data=data,
        **meeting_panel(platform),
    )


@router.get("/interpret/{code}", response_model=None)
def interpret_page(
    code: str,
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    booth: int | None = None,
) -> Response:
    """The interpreter console, for signed-in interpreters assigned to a booth of the event."""
    if user is None:
        return _login_redirect(request)
    with platform.sessions() as db:
        event = _live_event(db, code)
        info = public_info(db, code) if event is not None else None
        if event is None or info is None:
            return not_found_page(request, user, gettext("No event has this code."))
        seats = assigned_booths(db, event.id, user.id)
    if not seats:
        return not_found_page(
            request, user, gettext("You are not assigned to a booth of this event.")
        )
    seat = next((s for s in seats if s.booth_id == booth), seats[0])
    topics = live_topics(info)
    channels = {c["id"]: (t, c) for t in topics for c in t["channels"]}
    booths = [
        {
            "booth_id": s.booth_id,
            "label": f"{channels[s.channel_id][1]['name']} · {channels[s.channel_id][0]['name']}",
        }
        for s in seats
    ]
    data = {
        "code": info["code"],
        "event_id": event.id,
        "name": user.name,
        "booth": {
            "booth_id": seat.booth_id,
            "channel_id": seat.channel_id,
            "topic_id": seat.topic_id,
            "language_code": seat.language_code,
            "name": channels[seat.channel_id][1]["name"],
        },
        "topics": topics,
    }
    return render(
        request,
        "live_interpreter.html",
        user,
        event=info,
        booth=data["booth"],
        topic_name=channels[seat.channel_id][0]["name"],
        booths=booths,
        data=data,
        glossary_languages=glossary_languages(topics),
        **meeting_panel(platform),
    )


def glossary_languages(topics: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The languages a glossary offers: the event's interpretation languages, once each."""
    found: dict[str, str] = {}
    for topic in topics:
        for channel in topic["channels"]:
            if channel["language_code"]:
                found.setdefault(channel["language_code"], channel["name"])
    return list(found.items())


@router.get("/events/{event_id}/live", response_model=None)
def live_view_page(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """The organisers' live view: channels, who is on air, listeners, slow-down signals."""
    info = _managed_info(request, user, platform, event_id)
    if isinstance(info, Response):
        return info
    base = str(request.base_url).rstrip("/")
    topics = live_topics(info)
    links = _live_links(base, info["code"], event_id, topics, platform)
    data = {"code": info["code"], "event_id": event_id, "topics": topics}
    join_url = _join_url(request, info["code"])
    return render(
        request,
        "live_moderator.html",
        user,
        event=info,
        event_id=event_id,
        topics=topics,
        links=links,
        join_url=join_url,
        join_qr=Markup(join_qr_svg(join_url, scale=4)),
        data=data,
        glossary_languages=glossary_languages(topics),
        **meeting_panel(platform, host=True),
    )


@router.get("/events/{event_id}/poster", response_model=None)
def poster_page(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """A printable poster for the room: the event, its languages, and a QR code that
    opens the listener page."""
    info = _managed_info(request, user, platform, event_id)
    if isinstance(info, Response):
        return info
    join_url = _join_url(request, info["code"])
    languages = sorted(
        {c["name"] for t in info["topics"] for c in t["channels"] if c["kind"] != "floor"}
    )
    return render(
        request,
        "poster.html",
        user,
        event=info,
        event_id=event_id,
        join_url=join_url,
        languages=languages,
        schedule=format_schedule(info["starts_at"], info["ends_at"], info["timezone"]),
        join_qr=Markup(join_qr_svg(join_url, scale=10)),
    )


@router.get("/events/{event_id}/qr.svg", response_model=None)
def join_qr_file(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """The event's join QR code as an SVG file, for slides and print shops."""
    info = _managed_info(request, user, platform, event_id)
    if isinstance(info, Response):
        return info
    join_url = _join_url(request, info["code"])
    return Response(
        join_qr_svg_file(join_url),
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="join-{info["code"]}.svg"'},
    )


def _join_url(request: Request, code: str) -> str:
    """The listener page of the event with `code`, as this server is reached."""
    return f"{str(request.base_url).rstrip('/')}/join/{code}"


def _managed_event(request: Request, user: User, db: Session, event_id: int) -> Event | Response:
    """The event, if `user` manages it; else the not-found page to answer with (an event
    of someone else's looks like no event)."""
    try:
        event = load_event(db, event_id, user)
    except Problem:
        return not_found_page(
            request, user, gettext("There is no such event in your organisations.")
        )
    if not _manages(db, user, event):
        return not_found_page(request, user, gettext("Only the event's organisers see this page."))
    return event


def _managed_info(
    request: Request, user: User | None, platform: Platform, event_id: int
) -> dict[str, Any] | Response:
    """The public information of an event `user` manages; else the page to answer with
    (sign in, or not found: an event of someone else's looks like no event)."""
    if user is None:
        return _login_redirect(request)
    with platform.sessions() as db:
        event = _managed_event(request, user, db, event_id)
        if isinstance(event, Response):
            return event
        info = public_info(db, event.code)
    if info is None:
        return not_found_page(
            request, user, gettext("There is no such event in your organisations.")
        )
    return info
