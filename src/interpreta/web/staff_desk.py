"""What every page of the operator's staff console shares: which desks a member of staff
may open, the navigation between them, and how a refused form is shown.

The console is a view over the staff API: each page calls the same operation as its
API route (the same role check, the same validation, the same audit entry), so a desk
behaves alike in the browser and from a client. Anyone without the desk's role gets
the ordinary "page does not exist" 404, as from the API: a desk's routes take their
user as :data:`SupportUser`, :data:`BillingUser`, :data:`SalesUser` or
:data:`PrivacyUser`, a dependency that answers anyone else with that page before any
form is validated or any work done.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from interpreta.accounts.models import Organisation, StaffRole, User
from interpreta.api.dependencies import (
    BILLING_STAFF,
    PRIVACY_STAFF,
    SALES_STAFF,
    SUPPORT_STAFF,
    OptionalUserDep,
)
from interpreta.api.inputs import control_character
from interpreta.errors import Problem, invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.platform import Platform
from interpreta.web.forms import refusal
from interpreta.web.pages import not_found_page, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Desk:
    """A page of the console in the navigation, and the roles that open it."""

    path: str
    label: str
    """Marked with ``N_``; translated where shown."""
    roles: Collection[StaffRole]


DESKS = (
    Desk("/staff/support", N_("Support desk"), SUPPORT_STAFF),
    Desk("/staff/billing", N_("Billing"), BILLING_STAFF),
    Desk("/staff/crm", N_("Customers and deals"), SALES_STAFF),
    Desk("/staff/breaches", N_("Breach register"), PRIVACY_STAFF),
    Desk("/staff/marks", N_("Restrictions and objections"), PRIVACY_STAFF),
    Desk("/staff/disclosures", N_("Disclosures"), PRIVACY_STAFF),
)
"""Every desk, in the order the navigation lists them."""


def may_open(user: User | None, roles: Collection[StaffRole]) -> bool:
    """Whether `user` holds one of `roles` in force (two-factor sign-in on)."""
    return user is not None and user.staff_role_in_force in roles


def desks_of(user: User | None) -> list[Desk]:
    """The desks `user` may open."""
    return [desk for desk in DESKS if may_open(user, desk.roles)]


def no_such_page(request: Request, user: User | None) -> HTMLResponse:
    """The 404 anyone without the desk's role gets."""
    return not_found_page(request, user, gettext("This page does not exist."))


class NoSuchPage(Exception):
    """Raised for someone who may not open a desk; answered with :func:`no_such_page`
    (see :func:`install`)."""

    def __init__(self, user: User | None) -> None:
        super().__init__("This page does not exist.")
        self.user = user


def desk_user(roles: Collection[StaffRole]) -> Any:
    """A dependency giving the signed-in user who holds one of `roles` in force; anyone
    else gets :func:`no_such_page` (FastAPI runs it before the form is validated and the
    route runs, so nothing is done for them)."""

    async def staff_member(user: OptionalUserDep) -> User:  # async: no thread hop needed
        if user is None or not may_open(user, roles):
            raise NoSuchPage(user)
        return user

    return Depends(staff_member)


SupportUser = Annotated[User, desk_user(SUPPORT_STAFF)]
"""A member of support (or an admin), for the support desk's routes."""
BillingUser = Annotated[User, desk_user(BILLING_STAFF)]
"""A member of billing (or an admin), for the billing desk's routes."""
SalesUser = Annotated[User, desk_user(SALES_STAFF)]
"""A member of sales (or an admin), for the CRM's routes."""
PrivacyUser = Annotated[User, desk_user(PRIVACY_STAFF)]
"""The DPO (or an admin), for the privacy registers' routes."""


def install(app: FastAPI) -> None:
    """Answer :class:`NoSuchPage` with :func:`no_such_page`, wherever it is raised."""

    @app.exception_handler(NoSuchPage)
    async def _no_such_page(request: Request, exc: NoSuchPage) -> HTMLResponse:
        return no_such_page(request, exc.user)


def render_desk(
    request: Request, template: str, user: User, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a console page, with the navigation to the desks `user` may open."""
    return render(request, template, user, status_code=status_code, desks=desks_of(user), **context)


def submit(
    change: Callable[[], Any], refused: Callable[[int, str], Response], done: str
) -> Response:
    """Run `change`, the work of a form; a 303 to `done`, or, when it is refused,
    `refused` with the status and the message of the refusal (:func:`refusal`)."""
    try:
        change()
    except (Problem, ValidationError) as exc:
        return refused(*refusal(exc))
    return RedirectResponse(done, status_code=303)


@dataclass(frozen=True)
class Customer:
    """A customer account in a desk's list."""

    id: int
    name: str
    status: str


CUSTOMERS_SHOWN = 500
"""The most customers a list shows; a search narrows it."""
SEARCH_MAX = 100
"""The longest search for a customer's name, in characters."""


def customer_search(text: str) -> str:
    """`text`, trimmed, as a search for a customer's name; a 422 when it is longer than
    :data:`SEARCH_MAX` or holds control characters (no name does)."""
    search = text.strip()
    if len(search) > SEARCH_MAX or control_character(search) is not None:
        raise invalid(
            "q",
            gettext(
                "Search for at most %(n)d characters, without control characters.", n=SEARCH_MAX
            ),
        )
    return search


def customers(platform: Platform, search: str = "") -> list[Customer]:
    """Customer accounts by name, those whose name holds `search` (any case, taken
    literally; see :func:`customer_search`) if given; at most :data:`CUSTOMERS_SHOWN`.
    Run inside the desk's activity."""
    query = select(Organisation.id, Organisation.name, Organisation.status)
    if search:
        query = query.where(func.lower(Organisation.name).contains(search.lower(), autoescape=True))
    with platform.sessions() as db:
        rows = db.execute(query.order_by(Organisation.name, Organisation.id).limit(CUSTOMERS_SHOWN))
        return [Customer(id, name, str(status)) for id, name, status in rows]


def belongs_to(
    platform: Platform, model: Any, row_id: int, organisation_id: int, what: str
) -> None:
    """Go on only if row `row_id` of `model` (a table with an ``organisation_id``) is
    customer `organisation_id`'s: a form under one customer's page never acts on
    another's rows. A 404 naming `what` (marked with ``N_``) otherwise."""
    with platform.sessions() as db:
        owner = db.scalar(select(model.organisation_id).where(model.id == row_id))
    if owner != organisation_id:
        raise not_found(what)


@router.get("/staff", response_class=HTMLResponse)
def console(request: Request, user: OptionalUserDep) -> Response:
    """The console's entrance: the first desk the staff member may open."""
    desks = desks_of(user)
    if not desks:
        return no_such_page(request, user)
    return RedirectResponse(desks[0].path, status_code=303)
