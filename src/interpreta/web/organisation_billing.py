"""A customer's billing, as its owners see it in the browser: the contract and plan,
the usage of a month against the plan (per event), the invoices and credit notes with
their documents, and the billing address with its VAT ID.

Owners only, as in the API (:mod:`interpreta.api.billing`), whose operations the page
calls: another member is told only owners see billing (403), anyone else gets the
ordinary 404. Issuing, crediting and payments are the operator's billing desk's.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from interpreta.accounts.models import User
from interpreta.api import billing
from interpreta.api.dependencies import OptionalUserDep, PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.datamap.activities import ACCOUNTING, BILLING
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.web.forms import given, refusal
from interpreta.web.pages import _login_redirect, not_found_page, render
from interpreta.web.staff_billing import LABELS

router = APIRouter(include_in_schema=False, dependencies=[within(BILLING)])


def _refused_page(request: Request, user: User, problem: Problem) -> HTMLResponse:
    if problem.status == 403:
        return render(
            request,
            "forbidden.html",
            user,
            status_code=403,
            message=gettext("Only the organisation's owners see its billing."),
        )
    return not_found_page(request, user, gettext("This page does not exist."))


def _billing_page(
    request: Request,
    user: User,
    platform: Platform,
    organisation_id: int,
    month: str = "",
    *,
    done: str = "",
    error: str = "",
    status: int = 200,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    asked = month if re.fullmatch(billing.MONTH, month) else None
    try:
        account = billing.get_billing(organisation_id, user, platform)
        usage = billing.get_usage(organisation_id, user, platform, asked)
        with processing(ACCOUNTING):  # invoices are accounting records
            invoices = billing.list_invoices(organisation_id, user, platform)
    except Problem as problem:
        return _refused_page(request, user, problem)
    address = account.address
    shown = entered if entered is not None else (address.model_dump() if address else {})
    return render(
        request,
        "organisation_billing.html",
        user,
        status_code=status,
        organisation_id=organisation_id,
        contract=account.contract,
        usage=usage,
        invoices=invoices,
        address=address,
        entered={k: "" if v is None else str(v) for k, v in shown.items()},
        labels=LABELS,
        saved=done == "address",
        error=error,
    )


@router.get("/organisations/{organisation_id}/billing", response_model=None)
def billing_page(
    request: Request,
    organisation_id: PathId,
    user: OptionalUserDep,
    platform: PlatformDep,
    month: str = "",
    done: str = "",
) -> Response:
    """The contract, a month's usage against the plan (``YYYY-MM``; this month by
    default), the invoices and the billing address."""
    if user is None:
        return _login_redirect(request)
    return _billing_page(request, user, platform, organisation_id, month, done=done)


@router.post("/organisations/{organisation_id}/billing/address", response_model=None)
def save_address(
    request: Request,
    organisation_id: PathId,
    user: OptionalUserDep,
    platform: PlatformDep,
    street: Annotated[str, Form()] = "",
    postcode: Annotated[str, Form()] = "",
    city: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    vat_id: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "en",
) -> Response:
    """Set where the invoices go; issued documents keep the address they were sent to."""
    if user is None:
        return _login_redirect(request)
    entered = {
        "street": street,
        "postcode": postcode,
        "city": city,
        "country": country.strip().upper(),
        "vat_id": vat_id,
        "language": language,
    }
    try:
        body = billing.AddressIn.model_validate({**entered, "vat_id": given(vat_id)})
        billing.put_address(organisation_id, body, user, platform)
    except (Problem, ValidationError) as exc:
        status, message = refusal(exc)
        if status in (403, 404):
            assert isinstance(exc, Problem)
            return _refused_page(request, user, exc)
        return _billing_page(
            request,
            user,
            platform,
            organisation_id,
            error=message,
            status=status,
            entered=entered,
        )
    return RedirectResponse(
        f"/organisations/{organisation_id}/billing?done=address#address-heading",
        status_code=303,
    )
