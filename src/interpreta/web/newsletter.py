"""The newsletter's pages: subscribe, confirm (the mailed link), unsubscribe.

Plain forms that work without JavaScript. Following a mailed link only shows a
button (mail scanners follow links); acting is a POST. The unsubscribe link of every
newsletter answers RFC 8058's one-click POST (``List-Unsubscribe=One-Click``, sent by
the mailbox provider without cookies or Origin) and the page's own button alike.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from interpreta.api.dependencies import OptionalUserDep, PlatformDep, client_address, within
from interpreta.datamap.activities import NEWSLETTER
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.live.useragent import parse
from interpreta.newsletter import consent, subscriptions
from interpreta.newsletter.subscriptions import Origin
from interpreta.web.pages import render

router = APIRouter(include_in_schema=False, dependencies=[within(NEWSLETTER)])


def origin_of(request: Request) -> Origin:
    """What the data map lets us record of where a consent step came from."""
    equipment = parse(request.headers.get("user-agent"))
    return Origin(client_address(request), equipment.browser, equipment.device_type)


@router.get("/newsletter", response_class=HTMLResponse)
def subscribe_page(request: Request, user: OptionalUserDep) -> HTMLResponse:
    """The subscription form, with the consent text and its version."""
    return render(
        request,
        "newsletter/subscribe.html",
        user,
        sent=False,
        consent_text=consent.text(consent.CURRENT),
        consent_version=consent.CURRENT,
    )


@router.post("/newsletter", response_class=HTMLResponse)
def subscribe(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    email: str = Form(""),
    agree: str = Form(""),
    consent_version: str = Form(""),
) -> HTMLResponse:
    """Ask to subscribe: a confirmation link goes to the address (double opt-in)."""
    address = email.strip()[:320]
    error = None
    if "@" not in address or len(address) < 3:
        error = gettext("Enter your email address.")
    elif agree != "yes":
        error = gettext("Tick the box to agree to receive the newsletter.")
    if error is None:
        try:
            platform.ratelimits.mail(address, client_address(request))
            with platform.transaction() as db:
                subscriptions.ask(
                    db,
                    platform.mailer,
                    platform.settings,
                    email=address,
                    consent_version=consent_version[:32],
                    origin=origin_of(request),
                    now=platform.clock.now(),
                )
        except Problem as problem:
            error = problem.detail
    return render(
        request,
        "newsletter/subscribe.html",
        user,
        sent=error is None,
        error=error,
        email=address,
        consent_text=consent.text(consent.CURRENT),
        consent_version=consent.CURRENT,
        status_code=200 if error is None else 422,
    )


@router.get("/newsletter/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, user: OptionalUserDep, token: str = "") -> HTMLResponse:
    """Ask before subscribing (following the link only shows this button)."""
    return render(request, "newsletter/confirm.html", user, token=token[:100], confirmed=None)


@router.post("/newsletter/confirm", response_class=HTMLResponse)
def confirm(
    request: Request, user: OptionalUserDep, platform: PlatformDep, token: str = Form("")
) -> HTMLResponse:
    """Subscribe the address the link was mailed to, recording the consent."""
    try:
        with platform.transaction() as db:
            subscriber = subscriptions.confirm(
                db, token[:100], origin=origin_of(request), now=platform.clock.now()
            )
            confirmed = subscriber.email
    except Problem as problem:
        return render(
            request,
            "newsletter/confirm.html",
            user,
            token="",
            confirmed=None,
            error=problem.detail,
            status_code=problem.status,
        )
    return render(request, "newsletter/confirm.html", user, token="", confirmed=confirmed)


@router.get("/newsletter/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, user: OptionalUserDep, token: str) -> HTMLResponse:
    """Ask before unsubscribing (a link followed by a scanner changes nothing)."""
    return render(request, "newsletter/unsubscribe.html", user, token=token[:100], done=False)


@router.post("/newsletter/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(
    request: Request, user: OptionalUserDep, platform: PlatformDep, token: str
) -> HTMLResponse:
    """Unsubscribe at once (RFC 8058 one-click, or the page's button): the subscription
    and every mail still queued for it are deleted. The answer is the same for a link
    used before, so the page tells nobody whether an address was subscribed."""
    with platform.transaction() as db:
        subscriptions.unsubscribe(db, platform.secrets.session_key, token[:100])
    return render(request, "newsletter/unsubscribe.html", user, token="", done=True)
