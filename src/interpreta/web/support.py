"""Asking for help in the browser: one's tickets, the form to open one, a ticket's
conversation with support, and writing back.

The pages call the support API's own operations (:mod:`interpreta.api.support`), so a
ticket opened here is checked, mailed and timed against the plan's SLA as one opened
from a client. A person sees only their own tickets, never support's internal notes;
another's ticket is the ordinary 404. Support answers by mail, so an unproven address
is asked to prove itself first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from interpreta.accounts.models import User
from interpreta.api import support
from interpreta.api.dependencies import OptionalUserDep, PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.datamap.activities import SUPPORT_DESK
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.platform import Platform
from interpreta.support import tickets
from interpreta.web.forms import refusal
from interpreta.web.pages import _login_redirect, not_found_page, render
from interpreta.web.staff_support import PRIORITY_LABELS, STATUS_LABELS

router = APIRouter(include_in_schema=False, dependencies=[within(SUPPORT_DESK)])

LABELS = {**STATUS_LABELS, **PRIORITY_LABELS}
"""A ticket's state and priority in words (translated where shown)."""


def _tickets_page(
    request: Request,
    user: User,
    platform: Platform,
    *,
    error: str = "",
    status: int = 200,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "support/tickets.html",
        user,
        status_code=status,
        tickets=support.my_tickets(user, platform),
        priorities=list(PRIORITY_LABELS),
        labels=LABELS,
        subject_max=tickets.MAX_SUBJECT,
        body_max=tickets.MAX_BODY,
        error=error,
        entered=entered or {},
    )


@router.get("/support", response_model=None)
def tickets_page(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """One's tickets, newest first, and the form to ask for help."""
    if user is None:
        return _login_redirect(request)
    return _tickets_page(request, user, platform)


@router.post("/support", response_model=None)
def ask_for_help(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    subject: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "normal",
) -> Response:
    """Open a ticket; its page, or the form again with the refusal and what was typed."""
    if user is None:
        return _login_redirect(request)
    entered = {"subject": subject, "body": body, "priority": priority}
    try:
        opened = support.open_ticket(support.TicketIn.model_validate(entered), user, platform)
    except (Problem, ValidationError) as exc:
        status, message = refusal(exc)
        return _tickets_page(request, user, platform, error=message, status=status, entered=entered)
    return RedirectResponse(f"/support/tickets/{opened.id}?done=opened", status_code=303)


def _ticket_page(
    request: Request,
    user: User,
    platform: Platform,
    ticket_id: int,
    *,
    done: str = "",
    error: str = "",
    status: int = 200,
    typed: str = "",
) -> HTMLResponse:
    try:
        ticket = support.my_ticket(ticket_id, user, platform)
    except Problem:  # not one of one's tickets
        return not_found_page(request, user, gettext("This page does not exist."))
    return render(
        request,
        "support/ticket.html",
        user,
        status_code=status,
        ticket=ticket,
        labels=LABELS,
        body_max=tickets.MAX_BODY,
        opened=done == "opened",
        sent=done == "sent",
        error=error,
        typed=typed,
    )


@router.get("/support/tickets/{ticket_id}", response_model=None)
def ticket_page(
    request: Request,
    ticket_id: PathId,
    user: OptionalUserDep,
    platform: PlatformDep,
    done: str = "",
) -> Response:
    """One of one's tickets: the conversation with support, and writing back."""
    if user is None:
        return _login_redirect(request)
    return _ticket_page(request, user, platform, ticket_id, done=done)


@router.post("/support/tickets/{ticket_id}/messages", response_model=None)
def write_back(
    request: Request,
    ticket_id: PathId,
    user: OptionalUserDep,
    platform: PlatformDep,
    body: Annotated[str, Form()] = "",
) -> Response:
    """Add to one's ticket; back to it, or to it with the refusal and what was typed."""
    if user is None:
        return _login_redirect(request)
    try:
        support.write_back(
            ticket_id, support.MessageIn.model_validate({"body": body}), user, platform
        )
    except (Problem, ValidationError) as exc:
        status, message = refusal(exc)
        if status == 404:
            return not_found_page(request, user, gettext("This page does not exist."))
        return _ticket_page(
            request, user, platform, ticket_id, error=message, status=status, typed=body
        )
    return RedirectResponse(f"/support/tickets/{ticket_id}?done=sent", status_code=303)
