"""The support desk's pages: the queues (active, mine, overdue, all), a ticket with its
messages where support answers, notes and changes it, canned replies and incidents.

Support and admin staff only (:data:`~interpreta.web.staff_desk.SUPPORT_STAFF`);
everyone else, billing staff included, gets 404. Each form calls the support API's
operation (:mod:`interpreta.api.staff_support`), so a change made here is validated and
audited as one made from a client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from interpreta.accounts import actions
from interpreta.accounts.models import User
from interpreta.api import staff_support
from interpreta.api.dependencies import PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.datamap.activities import SUPPORT_DESK
from interpreta.errors import Problem
from interpreta.i18n.catalogues import N_
from interpreta.platform import Platform
from interpreta.support.models import Channel, Priority, TicketStatus
from interpreta.support.sla import Target
from interpreta.web.forms import given
from interpreta.web.staff_desk import (
    SUPPORT_STAFF,
    SupportUser,
    no_such_page,
    render_desk,
    submit,
)

router = APIRouter(include_in_schema=False, dependencies=[within(SUPPORT_DESK)])

VIEWS = {
    "active": N_("Active"),
    "mine": N_("Mine"),
    "overdue": N_("Overdue"),
    "all": N_("All"),
}
"""The queues, by the name the API gives them."""

STATUS_LABELS = {
    TicketStatus.NEW.value: N_("new"),
    TicketStatus.OPEN.value: N_("open"),
    TicketStatus.PENDING.value: N_("waiting for the requester"),
    TicketStatus.SOLVED.value: N_("solved"),
    TicketStatus.CLOSED.value: N_("closed"),
}
"""Each state of a ticket in words (marked with ``N_``; translated where shown)."""

PRIORITY_LABELS = {
    Priority.LOW.value: N_("low"),
    Priority.NORMAL.value: N_("normal"),
    Priority.HIGH.value: N_("high"),
    Priority.URGENT.value: N_("urgent"),
}
"""Each priority in words."""

LABELS = {
    **STATUS_LABELS,
    **PRIORITY_LABELS,
    Channel.WEB.value: N_("web form"),
    Channel.EMAIL.value: N_("email"),
    Target.FIRST_RESPONSE.value: N_("first response"),
    Target.RESOLUTION.value: N_("resolution"),
}
"""Every value the desk shows in words: states, priorities, channels, SLA targets."""

SETTABLE = [s for s in STATUS_LABELS if s != TicketStatus.NEW.value]
"""The states support may set (a ticket is new until someone touches it)."""


def _queue_page(
    request: Request,
    user: User,
    platform: Platform,
    view: str,
    *,
    error: str = "",
    status: int = 200,
    failed: str = "",
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    shown = view if view in VIEWS else "active"
    return render_desk(
        request,
        "staff_support.html",
        user,
        status_code=status,
        view=shown,
        views=VIEWS,
        tickets=staff_support.queue(user, platform, shown),  # type: ignore[arg-type]
        canned=staff_support.canned_replies(user, platform),
        incidents=staff_support.incidents(user, platform),
        labels=LABELS,
        error=error,
        failed=failed,
        entered=entered or {},
    )


@router.get("/staff/support", response_class=HTMLResponse)
def support_desk(
    request: Request, user: SupportUser, platform: PlatformDep, view: str = "active"
) -> Response:
    """A queue of tickets, the canned replies and the incidents."""
    return _queue_page(request, user, platform, view)


def _ticket_page(
    request: Request,
    user: User,
    platform: Platform,
    ticket_id: int,
    *,
    error: str = "",
    status: int = 200,
    typed: str = "",
) -> HTMLResponse:
    try:
        ticket, standing = staff_support.ticket_standing(ticket_id, user, platform)
    except Problem:  # no such ticket
        return no_such_page(request, user)
    with platform.sessions() as db:
        agents = dict(actions.staff_members(db, SUPPORT_STAFF))
    return render_desk(
        request,
        "staff_ticket.html",
        user,
        status_code=status,
        ticket=ticket,
        standing=standing,
        canned=staff_support.canned_replies(user, platform),
        incidents=[i for i in staff_support.incidents(user, platform) if i.resolved_at is None],
        statuses=SETTABLE,
        priorities=list(PRIORITY_LABELS),
        agents=agents,
        labels=LABELS,
        error=error,
        typed=typed,
    )


@router.get("/staff/support/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    request: Request, ticket_id: PathId, user: SupportUser, platform: PlatformDep
) -> Response:
    """A ticket with every message, internal notes included, and the forms to answer
    and change it."""
    return _ticket_page(request, user, platform, ticket_id)


def _on_ticket(
    request: Request,
    user: User,
    platform: Platform,
    ticket_id: int,
    change: Callable[[], Any],
    typed: str = "",
) -> Response:
    """Run `change` on the ticket; back to its page, or the page with the refusal and
    the reply as it was `typed` (the 404 page when there is no such ticket)."""

    def refused(status: int, message: str) -> Response:
        if status == 404:
            return no_such_page(request, user)
        return _ticket_page(
            request, user, platform, ticket_id, error=message, status=status, typed=typed
        )

    return submit(change, refused, f"/staff/support/tickets/{ticket_id}")


@router.post("/staff/support/tickets/{ticket_id}/replies", response_class=HTMLResponse)
def answer(
    request: Request,
    ticket_id: PathId,
    user: SupportUser,
    platform: PlatformDep,
    body: Annotated[str, Form()] = "",
    canned_reply_id: Annotated[str, Form()] = "",
    internal: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
) -> Response:
    """Answer the requester by mail (written, or a canned reply), or note something for
    support only; optionally set the ticket's status with it."""

    def change() -> None:
        reply = staff_support.ReplyIn.model_validate(
            {
                "body": given(body),
                "canned_reply_id": given(canned_reply_id),
                "internal": bool(internal),
                "status": given(status),
            }
        )
        staff_support.answer(ticket_id, reply, user, platform)

    return _on_ticket(request, user, platform, ticket_id, change, body)


@router.post("/staff/support/tickets/{ticket_id}", response_class=HTMLResponse)
def change_ticket(
    request: Request,
    ticket_id: PathId,
    user: SupportUser,
    platform: PlatformDep,
    status: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    assignee_id: Annotated[str, Form()] = "",
    incident_id: Annotated[str, Form()] = "",
) -> Response:
    """Change the status or priority, give the ticket to an agent of support (oneself
    included) or back to the queue (``none``), or link it to an incident (``none``
    unlinks it)."""

    def change() -> None:
        fields: dict[str, Any] = {
            "status": given(status),
            "priority": given(priority),
            "assignee_id": None if assignee_id == "none" else given(assignee_id),
            "unassign": assignee_id == "none" or None,
        }
        if incident_id == "none":
            fields["unlink_incident"] = True
        else:
            fields["incident_id"] = given(incident_id)
        patch = staff_support.TicketPatch.model_validate(
            {k: v for k, v in fields.items() if v is not None}
        )
        staff_support.change_ticket(ticket_id, patch, user, platform)

    return _on_ticket(request, user, platform, ticket_id, change)


def _on_desk(
    request: Request,
    user: User,
    platform: Platform,
    change: Callable[[], Any],
    anchor: str,
    entered: dict[str, str] | None = None,
) -> Response:
    """Run `change` on the desk; back to the queue, or the queue with the refusal and
    what was `entered` in the form named by `anchor`."""

    def refused(status: int, message: str) -> Response:
        return _queue_page(
            request,
            user,
            platform,
            "active",
            error=message,
            status=status,
            failed=anchor,
            entered=entered,
        )

    return submit(change, refused, f"/staff/support#{anchor}")


@router.post("/staff/support/canned-replies", response_class=HTMLResponse)
def keep_canned_reply(
    request: Request,
    user: SupportUser,
    platform: PlatformDep,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    """Keep a reply for later."""

    def change() -> None:
        canned = staff_support.CannedIn.model_validate({"title": title, "body": body})
        staff_support.keep_canned_reply(canned, user, platform)

    return _on_desk(
        request, user, platform, change, "canned-heading", {"title": title, "body": body}
    )


@router.post("/staff/support/incidents", response_class=HTMLResponse)
def open_incident(
    request: Request,
    user: SupportUser,
    platform: PlatformDep,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    """Open an incident."""

    def change() -> None:
        incident = staff_support.IncidentIn.model_validate(
            {"title": title, "description": description}
        )
        staff_support.open_incident(incident, user, platform)

    return _on_desk(
        request,
        user,
        platform,
        change,
        "incidents-heading",
        {"title": title, "description": description},
    )


@router.post("/staff/support/incidents/{incident_id}/resolve", response_class=HTMLResponse)
def resolve_incident(
    request: Request, incident_id: PathId, user: SupportUser, platform: PlatformDep
) -> Response:
    """Resolve an incident."""
    return _on_desk(
        request,
        user,
        platform,
        lambda: staff_support.resolve_incident(incident_id, user, platform),
        "incidents-heading",
    )
