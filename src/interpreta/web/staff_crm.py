"""Pages for the operator's sales desk: the open pipeline and the customer accounts, and
one customer's contacts, notes of conversations and deals, with the forms that keep them
(P10).

Each form calls the CRM API's operation (:mod:`interpreta.api.staff_crm`): the same role
check, validation and audit entry as from a client; a refusal is shown on the page with
its status. Only sales and admin staff see them; everyone else gets a 404. They run in
the customer-relationship activity
(:data:`~interpreta.datamap.activities.CUSTOMER_RELATIONSHIP`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from interpreta.accounts.models import OrganisationStatus, User
from interpreta.api import staff_crm
from interpreta.api.dependencies import PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.crm.contacts import MAX_NOTE
from interpreta.crm.models import CrmContact, Deal, DealStage
from interpreta.datamap.activities import CUSTOMER_RELATIONSHIP
from interpreta.errors import Problem
from interpreta.i18n.catalogues import N_
from interpreta.platform import Platform
from interpreta.web.forms import given
from interpreta.web.pages import not_found_page
from interpreta.web.staff_desk import (
    CUSTOMERS_SHOWN,
    SEARCH_MAX,
    SalesUser,
    belongs_to,
    customer_search,
    customers,
    render_desk,
    submit,
)

router = APIRouter(include_in_schema=False, dependencies=[within(CUSTOMER_RELATIONSHIP)])

STAGE_LABELS = {
    DealStage.LEAD.value: N_("lead"),
    DealStage.QUALIFIED.value: N_("qualified"),
    DealStage.PROPOSAL.value: N_("proposal"),
    DealStage.NEGOTIATION.value: N_("negotiation"),
    DealStage.WON.value: N_("won"),
    DealStage.LOST.value: N_("lost"),
}
"""Each stage of a deal in words (marked with ``N_``; translated where shown)."""

STATUS_LABELS = {
    OrganisationStatus.ACTIVE.value: N_("active"),
    OrganisationStatus.CLOSED.value: N_("closed"),
}
"""Each state of a customer account in words (marked with ``N_``)."""


def _desk_page(
    request: Request,
    user: User,
    platform: Platform,
    *,
    search: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render_desk(
        request,
        "staff_crm.html",
        user,
        status_code=status,
        pipeline=staff_crm.pipeline(user, platform),
        customers=customers(platform, search),
        search=search,
        limit=CUSTOMERS_SHOWN,
        search_max=SEARCH_MAX,
        stage_labels=STAGE_LABELS,
        status_labels=STATUS_LABELS,
        error=error,
    )


@router.get("/staff/crm", response_class=HTMLResponse)
def sales_desk(request: Request, user: SalesUser, platform: PlatformDep, q: str = "") -> Response:
    """The open deals per stage, and the customer accounts (those whose name contains
    `q`, when given)."""
    try:
        search = customer_search(q)
    except Problem as problem:
        return _desk_page(request, user, platform, error=problem.detail, status=422)
    return _desk_page(request, user, platform, search=search)


def _account_page(
    request: Request,
    user: User,
    platform: Platform,
    organisation_id: int,
    *,
    error: str = "",
    status: int = 200,
    failed: str = "",
    entered: dict[str, Any] | None = None,
) -> HTMLResponse:
    try:
        account = staff_crm.account(organisation_id, user, platform)
    except Problem as exc:
        return not_found_page(request, user, exc.detail or exc.title)
    return render_desk(
        request,
        "staff_crm_account.html",
        user,
        status_code=status,
        account=account,
        closed=account.status != OrganisationStatus.ACTIVE.value,
        contact_names={c.id: c.name for c in account.contacts},
        stages=[s.value for s in DealStage],
        stage_labels=STAGE_LABELS,
        status_labels=STATUS_LABELS,
        note_max=MAX_NOTE,
        error=error,
        failed=failed,
        entered=entered or {},
    )


def _on_account(
    request: Request,
    user: User,
    platform: Platform,
    organisation_id: int,
    change: Callable[[], Any],
    section: str,
    failed: str = "",
    entered: dict[str, Any] | None = None,
) -> Response:
    """Run `change` for the customer; back to `section` of their page, or the page with
    why it was refused and what was `entered` in the form named `failed`."""

    def refused(status: int, message: str) -> Response:
        return _account_page(
            request,
            user,
            platform,
            organisation_id,
            error=message,
            status=status,
            failed=failed,
            entered=entered,
        )

    return submit(change, refused, f"/staff/crm/organisations/{organisation_id}#{section}")


@router.get("/staff/crm/organisations/{organisation_id}", response_class=HTMLResponse)
def customer_account(
    request: Request, organisation_id: PathId, user: SalesUser, platform: PlatformDep
) -> Response:
    """One customer: its contacts, the notes of conversations (newest first) and its
    deals, with the forms to add to them."""
    return _account_page(request, user, platform, organisation_id)


@router.post("/staff/crm/organisations/{organisation_id}/contacts", response_class=HTMLResponse)
def add_contact(
    request: Request,
    organisation_id: PathId,
    user: SalesUser,
    platform: PlatformDep,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    job_title: Annotated[str, Form()] = "",
) -> Response:
    """Record a person at the customer (:func:`staff_crm.add_contact`)."""
    entered = {"name": name, "email": email, "phone": phone, "job_title": job_title}

    def change() -> None:
        body = staff_crm.ContactIn.model_validate(
            {**entered, "phone": given(phone), "job_title": given(job_title)}
        )
        staff_crm.add_contact(organisation_id, body, user, platform)

    return _on_account(
        request, user, platform, organisation_id, change, "contacts", "contact", entered
    )


@router.post(
    "/staff/crm/organisations/{organisation_id}/contacts/{contact_id}/remove",
    response_class=HTMLResponse,
)
def remove_contact(
    request: Request,
    organisation_id: PathId,
    contact_id: PathId,
    user: SalesUser,
    platform: PlatformDep,
) -> Response:
    """Remove a contact of the customer and the notes about them
    (:func:`staff_crm.remove_contact`); their deals stay, without them."""

    def change() -> None:
        belongs_to(platform, CrmContact, contact_id, organisation_id, N_("contact"))
        staff_crm.remove_contact(contact_id, user, platform)

    return _on_account(request, user, platform, organisation_id, change, "contacts")


@router.post("/staff/crm/organisations/{organisation_id}/notes", response_class=HTMLResponse)
def add_note(
    request: Request,
    organisation_id: PathId,
    user: SalesUser,
    platform: PlatformDep,
    body: Annotated[str, Form()] = "",
    contact_id: Annotated[str, Form()] = "",
) -> Response:
    """Note a conversation with the customer, about one of its contacts if one is
    chosen (:func:`staff_crm.add_note`)."""
    entered = {"body": body, "contact_id": contact_id}

    def change() -> None:
        note = staff_crm.NoteIn.model_validate({"body": body, "contact_id": given(contact_id)})
        staff_crm.add_note(organisation_id, note, user, platform)

    return _on_account(request, user, platform, organisation_id, change, "notes", "note", entered)


@router.post("/staff/crm/organisations/{organisation_id}/deals", response_class=HTMLResponse)
def open_deal(
    request: Request,
    organisation_id: PathId,
    user: SalesUser,
    platform: PlatformDep,
    title: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    currency: Annotated[str, Form()] = "EUR",
    plan: Annotated[str, Form()] = "",
    contact_id: Annotated[str, Form()] = "",
    expected_on: Annotated[str, Form()] = "",
) -> Response:
    """Open a deal with the customer, as a lead (:func:`staff_crm.open_deal`)."""
    entered = {
        "title": title,
        "value": value,
        "currency": currency,
        "plan": plan,
        "contact_id": contact_id,
        "expected_on": expected_on,
    }

    def change() -> None:
        deal = staff_crm.DealIn.model_validate(
            {
                "title": title,
                "value": value.strip(),
                "currency": currency.strip(),
                "plan": given(plan),
                "contact_id": given(contact_id),
                "expected_on": given(expected_on),
            }
        )
        staff_crm.open_deal(organisation_id, deal, user, platform)

    return _on_account(request, user, platform, organisation_id, change, "deals", "deal", entered)


@router.post(
    "/staff/crm/organisations/{organisation_id}/deals/{deal_id}/stage",
    response_class=HTMLResponse,
)
def move_deal(
    request: Request,
    organisation_id: PathId,
    deal_id: PathId,
    user: SalesUser,
    platform: PlatformDep,
    stage: Annotated[str, Form()] = "",
    lost_reason: Annotated[str, Form()] = "",
) -> Response:
    """Move one of the customer's deals along the pipeline, or close it as won or lost
    (a lost deal says why; :func:`staff_crm.move_deal`)."""
    entered = {"deal_id": deal_id, "stage": stage, "lost_reason": lost_reason}

    def change() -> None:
        belongs_to(platform, Deal, deal_id, organisation_id, N_("deal"))
        move = staff_crm.DealMove.model_validate(
            {"stage": stage, "lost_reason": given(lost_reason)}
        )
        staff_crm.move_deal(deal_id, move, user, platform)

    return _on_account(
        request, user, platform, organisation_id, change, f"deal-{deal_id}", "stage", entered
    )
