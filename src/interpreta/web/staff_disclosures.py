"""The DPO's page of the disclosures register (P20): every disclosure made without the
person's consent, a form to record one, and the release of one a confidentiality order
held back once the person may be told.

Each form calls the register's API operation (:mod:`interpreta.api.staff_disclosures`):
the same role check, validation and audit entry as from a client; a refusal is shown on
the page with its status. Only staff with the DPO or admin role see it; everyone else
gets a 404. It runs in the disclosures activity
(:data:`~interpreta.datamap.activities.DISCLOSURES`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from interpreta.accounts.models import User
from interpreta.api import staff_disclosures
from interpreta.api.dependencies import PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.datamap.activities import DISCLOSURES
from interpreta.errors import Problem
from interpreta.i18n.catalogues import N_
from interpreta.platform import Platform
from interpreta.privacy.disclosures import Ground
from interpreta.web.forms import refusal
from interpreta.web.staff_desk import PrivacyUser, render_desk, submit

router = APIRouter(include_in_schema=False, dependencies=[within(DISCLOSURES)])

GROUND_LABELS = {
    Ground.LAW.value: N_("the law obliges us (a court order, an authority's lawful request)"),
    Ground.FRAUD.value: N_("investigating fraud or abuse of the service"),
    Ground.TERMS.value: N_("enforcing our terms of service"),
}
"""Each ground of a disclosure in words (marked with ``N_``; translated where shown)."""


def _page(
    request: Request,
    user: User,
    platform: Platform,
    *,
    error: str = "",
    status: int = 200,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    return render_desk(
        request,
        "staff_disclosures.html",
        user,
        status_code=status,
        rows=staff_disclosures.register(user, platform),
        grounds=[g.value for g in Ground],
        ground_labels=GROUND_LABELS,
        today=platform.clock.now().date(),
        error=error,
        entered=entered or {},
    )


@router.get("/staff/disclosures", response_class=HTMLResponse)
def disclosures_register(request: Request, user: PrivacyUser, platform: PlatformDep) -> Response:
    """The register, newest first, with the form to record a disclosure."""
    return _page(request, user, platform)


@router.post("/staff/disclosures", response_class=HTMLResponse)
def record_disclosure(
    request: Request,
    user: PrivacyUser,
    platform: PlatformDep,
    subject_email: Annotated[str, Form()] = "",
    recipient: Annotated[str, Form()] = "",
    ground: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    data_disclosed: Annotated[str, Form()] = "",
    disclosed_on: Annotated[str, Form()] = "",
    withheld_reason: Annotated[str, Form()] = "",
) -> Response:
    """Record a disclosure made without consent (:func:`staff_disclosures.record`); it
    is in the person's access report unless a withholding reason is given."""
    entered = {
        "subject_email": subject_email,
        "recipient": recipient,
        "ground": ground,
        "reference": reference,
        "data_disclosed": data_disclosed,
        "disclosed_on": disclosed_on,
        "withheld_reason": withheld_reason,
    }
    try:
        body = staff_disclosures.DisclosureIn.model_validate(
            {**entered, "withheld_reason": withheld_reason if withheld_reason.strip() else None}
        )
        recorded = staff_disclosures.record(body, user, platform)
    except (Problem, ValidationError) as exc:
        status, text = refusal(exc)
        return _page(request, user, platform, error=text, status=status, entered=entered)
    return RedirectResponse(f"/staff/disclosures#disclosure-{recorded.id}", status_code=303)


@router.post("/staff/disclosures/{disclosure_id}/release", response_class=HTMLResponse)
def release_disclosure(
    request: Request, disclosure_id: PathId, user: PrivacyUser, platform: PlatformDep
) -> Response:
    """The law no longer forbids telling the person: the withheld disclosure joins
    their access report (:func:`staff_disclosures.release`)."""
    return submit(
        lambda: staff_disclosures.release(disclosure_id, user, platform),
        lambda status, text: _page(request, user, platform, error=text, status=status),
        f"/staff/disclosures#disclosure-{disclosure_id}",
    )
