"""What routes receive: the platform, the signed-in user, and the activity they run in."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from interpreta.accounts.models import StaffRole, User
from interpreta.accounts.signin import COOKIE_NAME, user_for_token
from interpreta.datamap.activities import SIGN_IN, Activity
from interpreta.errors import not_found, unauthenticated
from interpreta.i18n.catalogues import N_
from interpreta.platform import Platform
from interpreta.privacy.processing import enter, processing


async def get_platform(request: Request) -> Platform:
    """The platform the application was created for (async: no thread hop needed)."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


T = TypeVar("T")


def optional_user(request: Request, platform: PlatformDep) -> User | None:
    """The signed-in user, or None."""
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    with platform.sessions() as db, processing(SIGN_IN):
        return user_for_token(db, token, platform.clock.now())


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The signed-in user; 401 when nobody is signed in."""
    if user is None:
        raise unauthenticated()
    return user


def within(activity: Activity) -> Any:
    """A dependency that runs the request inside `activity` (every statement it makes is
    checked against the activity's declaration, and marked people are left out)."""

    async def enter_activity() -> None:
        enter(activity)  # each request runs in a context of its own

    return Depends(enter_activity)


def client_address(request: Request) -> str:
    """The address the request came from (what per-client rate limits count)."""
    return request.client.host if request.client is not None else "unknown"


UserDep = Annotated[User, Depends(current_user)]
OptionalUserDep = Annotated[User | None, Depends(optional_user)]


def row_or_404(db: Session, model: type[T], key: int, what: str) -> T:
    """Row `key` of `model`, or a 404 naming `what` (a noun marked with ``N_``)."""
    found = db.get(model, key)
    if found is None:
        raise not_found(what)
    return found


SUPPORT_STAFF = (StaffRole.SUPPORT, StaffRole.ADMIN)
"""Who works the support desk."""
BILLING_STAFF = (StaffRole.BILLING, StaffRole.ADMIN)
"""Who works the billing desk."""
SALES_STAFF = (StaffRole.SALES, StaffRole.ADMIN)
"""Who works the CRM."""
PRIVACY_STAFF = (StaffRole.DPO, StaffRole.ADMIN)
"""Who keeps the privacy registers (breaches, marks, disclosures)."""


def require_staff(user: User, roles: Collection[StaffRole]) -> None:
    """Go on only for staff holding one of `roles` (two-factor sign-in on); anyone else
    gets a 404, as if the desk did not exist."""
    if user.staff_role_in_force not in roles:
        raise not_found(N_("page"))
