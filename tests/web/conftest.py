"""Fixtures for the pages: a live server on a free port, and a headless Chromium.

The live pages' media run on the embedded plane unless a test asks for the backends in
turn, with ``@pytest.mark.parametrize("media_backend", MEDIA_BACKENDS, indirect=True)``:
on Janus the app drives the session's ``janus_server``, and Chromium reaches it on the
private address Janus gathers on (``interpreta0``, 10.77.0.1), which it offers as a host
candidate since the fake-media browsers show their addresses, not mDNS names.
"""

from __future__ import annotations

import html
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select

from interpreta.accounts.models import StaffRole
from interpreta.app import create_app
from interpreta.config import Settings
from interpreta.platform import Platform
from tests.conftest import STANDARD_PLAN, Account, join, make_staff, on_janus, speaker_key_of

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def media_backend(request: pytest.FixtureRequest) -> str:
    """The media backend of the app under test: ``embedded``, or the one a test is
    parametrised with (indirectly, over ``MEDIA_BACKENDS``)."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture
def settings(settings: Settings, media_backend: str, request: pytest.FixtureRequest) -> Settings:
    """The test's settings, on the session's Janus when ``media_backend`` is ``janus``."""
    if media_backend == "janus":
        return on_janus(settings, request.getfixturevalue("janus_server"))
    return settings


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_server(platform: Platform) -> Iterator[str]:
    """The application served by uvicorn in a thread; yields its base URL.

    The URL names ``localhost``: browsers treat it as a secure context, so the
    Secure session cookie travels over plain HTTP there.
    """
    port = _free_port()
    config = uvicorn.Config(
        create_app(platform), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    yield f"http://localhost:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser is downloaded)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where page screenshots go: $INTERPRETA_SCREENSHOTS, else a temporary folder."""
    folder = Path(os.environ.get("INTERPRETA_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


FAKE_MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    # plain host candidates, not mDNS names, for pages that never asked for the mic
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def write_tone(path: Path, frequency: float, seconds: float = 4.0, rate: int = 48000) -> Path:
    """A mono 16-bit WAV of a sine tone (Chromium loops it as the fake microphone)."""
    import wave

    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    samples = (0.5 * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


@pytest.fixture
def audio_browser(browser: Any) -> Iterator[Any]:
    """Launch Chromium instances whose fake microphone plays a WAV: ``audio_browser(wav)``.

    Each instance takes one WAV file, so each voice needs its own browser.
    """
    launched: list[Any] = []

    def launch(wav: Path | None = None) -> Any:
        args = [*CHROMIUM_ARGS, *FAKE_MEDIA_ARGS]
        if wav is not None:
            args.append(f"--use-file-for-fake-audio-capture={wav}")
        instance = browser.browser_type.launch(executable_path=CHROMIUM, args=args, headless=True)
        launched.append(instance)
        return instance

    yield launch
    for instance in launched:
        instance.close()


@pytest.fixture
def media_server(platform: Platform) -> Iterator[str]:
    """The application with its media plane, served with its lifespan; yields a localhost URL."""
    from tests.live_server import serving

    with serving(create_app(platform)) as base_url:
        yield base_url.replace("127.0.0.1", "localhost")


PASSWORD = "a long enough password"
"""The password of the accounts the browser tests sign up."""


def signed_up_with_an_event(page: Any, name: str, title: str) -> dict[str, Any]:
    """Sign `name` up through the page's own requests (its cookie is the page's) and
    create an event in German and French for 1 December 2026; the event."""
    me = page.request.post(
        "/api/auth/signup",
        data={
            "email": f"{name.lower()}@example.org",
            "name": name,
            "password": PASSWORD,
            "organisation_name": f"{name} Events",
        },
    ).json()
    event: dict[str, Any] = page.request.post(
        f"/api/organisations/{me['organisations'][0]['id']}/events",
        data={
            "title": title,
            "starts_at": "2026-12-01T09:00:00+00:00",
            "ends_at": "2026-12-01T10:00:00+00:00",
            "languages": [{"code": "de"}, {"code": "fr"}],
        },
    ).json()
    return event


@dataclass
class People:
    """Who visits the pages, with the event they see."""

    owner: Account
    interpreter: Account
    dpo: Account
    event: dict[str, Any]
    speaker_key: str
    admin: Account
    desk: dict[str, int]
    """What the staff desks show: the owner's ``ticket``, ``invoice`` and
    ``organisation`` IDs."""


def row_count(platform: Platform, model: Any) -> int:
    """How many rows `model`'s table holds."""
    with platform.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _done(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _desk_work(owner: Account, admin: Account, organisation_id: int) -> dict[str, int]:
    """Give every staff desk something to show: a ticket from the owner, a plan, a
    contract and an invoice, a CRM contact, note and deal, and a disclosure."""
    ticket = _done(
        owner.client.post(
            "/api/support/tickets",
            json={"subject": "Booth console freezes", "body": "Since this morning."},
        )
    )
    staff = admin.client
    _done(staff.post("/api/staff/plans", json=STANDARD_PLAN))
    _done(
        owner.client.put(
            f"/api/organisations/{organisation_id}/billing/address",
            json={"street": "Hohe Straße 1", "postcode": "50667", "city": "Köln", "country": "DE"},
        )
    )
    customer = f"/api/staff/organisations/{organisation_id}"
    _done(staff.post(f"{customer}/contracts", json={"plan": "standard", "starts_on": "2026-11-01"}))
    line = {"description": "Plan Standard", "quantity": "1", "unit": "MON", "unit_price": "490"}
    invoice = _done(staff.post(f"{customer}/invoices", json={"lines": [line]}))
    contact = _done(
        staff.post(f"{customer}/contacts", json={"name": "Olivia", "email": owner.email})
    )
    _done(
        staff.post(f"{customer}/notes", json={"body": "Wants Arabic.", "contact_id": contact["id"]})
    )
    _done(staff.post(f"{customer}/deals", json={"title": "Arabic booth", "value": "1200"}))
    _done(
        staff.post(
            "/api/staff/disclosures",
            json={
                "subject_email": owner.email,
                "recipient": "Landgericht Köln",
                "ground": "law",
                "reference": "12 O 34/26",
                "data_disclosed": "the account's name and address",
                "disclosed_on": "2026-11-20",
            },
        )
    )
    return {"ticket": ticket["id"], "invoice": invoice["id"], "organisation": organisation_id}


@pytest.fixture
def people(platform: Platform, sign_up: Any) -> People:
    """An organiser with an event in German and French, its German interpreter, the DPO,
    and an admin of the operator whose desks have work from the organiser."""
    owner: Account = sign_up("olivia")
    interpreter: Account = sign_up("anna")
    dpo: Account = sign_up("dora")
    make_staff(platform, dpo)
    admin: Account = sign_up("adam")
    make_staff(platform, admin, StaffRole.ADMIN)
    join(owner, interpreter)
    event = owner.create_event("Accessible summit", ["de", "fr"])
    booth = next(c for c in event["topics"][0]["channels"] if c["language_code"] == "de")
    assigned = owner.client.post(
        f"/api/events/{event['id']}/booths/{booth['booth_id']}/interpreters",
        json={"user_id": interpreter.user_id},
    )
    assert assigned.status_code == 201
    return People(
        owner,
        interpreter,
        dpo,
        event,
        speaker_key_of(platform, event["id"]),
        admin,
        _desk_work(owner, admin, owner.organisation_id),
    )


def browser_context(browser: Any, base_url: str, account: Account | None) -> Any:
    """A fresh browser context (nothing stored), signed in as `account` if given."""
    context = browser.new_context(base_url=base_url)
    if account is not None:
        cookie = str(account.client.cookies.get("interpreta_session"))
        context.add_cookies(
            [{"name": "interpreta_session", "value": cookie, "domain": "localhost", "path": "/"}]
        )
    return context


def pages_by_visitor(people: People) -> dict[str, tuple[Account | None, list[str]]]:
    """Every page, as the person who would see it: a visitor, the organiser, an
    interpreter, the DPO, an admin of the operator (the staff desks)."""
    event, code, desk = people.event, people.event["code"], people.desk
    return {
        "visitor": (
            None,
            [
                "/",
                f"/join/{code}",
                "/login",
                "/signup",
                "/privacy",
                "/privacy/versions/1",
                "/privacy/request",
                "/privacy/confirm?token=nonsense",
                "/account/forgot",
                "/account/reset?token=nonsense",
                "/account/verify?token=nonsense",
                "/newsletter",
                "/newsletter/confirm?token=nonsense",
                "/newsletter/unsubscribe/nonsense",
                "/cookies",
                f"/register/{code}",
                "/registration?token=nonsense",
                "/survey?token=nonsense",
                "/status",
                "/no/such/page",
            ],
        ),
        "organiser": (
            people.owner,
            [
                "/events",
                "/events/new",
                f"/events/{event['id']}",
                f"/events/{event['id']}/live",
                f"/events/{event['id']}/poster",
                f"/events/{event['id']}/registration",
                "/account",
                "/privacy/me",
                "/invitations",
                "/support",
                f"/support/tickets/{desk['ticket']}",
                f"/organisations/{desk['organisation']}/billing",
                f"/speak/{code}?key={people.speaker_key}",
            ],
        ),
        "interpreter": (people.interpreter, [f"/interpret/{code}"]),
        "dpo": (people.dpo, ["/privacy/requests", "/staff/breaches", "/staff/marks"]),
        "admin": (
            people.admin,
            [
                "/staff/support",
                f"/staff/support/tickets/{desk['ticket']}",
                "/staff/billing",
                f"/staff/billing/organisations/{desk['organisation']}",
                "/staff/crm",
                f"/staff/crm/organisations/{desk['organisation']}",
                "/staff/disclosures",
            ],
        ),
    }


def form_error(page: str) -> str:
    """The refusal a page shows above its forms (its ``form-error`` alert), unescaped;
    empty when it shows none."""
    found = re.search(r'<p class="form-error" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""
