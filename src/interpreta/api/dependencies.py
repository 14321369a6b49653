"""What routes receive: the platform, and the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from interpreta.accounts.models import User
from interpreta.accounts.signin import COOKIE_NAME, user_for_token
from interpreta.errors import unauthenticated
from interpreta.platform import Platform


async def get_platform(request: Request) -> Platform:
    """The platform the application was created for (async: no thread hop needed)."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def optional_user(request: Request, platform: PlatformDep) -> User | None:
    """The signed-in user, or None."""
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    with platform.sessions() as db:
        return user_for_token(db, token, platform.clock.now())


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The signed-in user; 401 when nobody is signed in."""
    if user is None:
        raise unauthenticated()
    return user


UserDep = Annotated[User, Depends(current_user)]
OptionalUserDep = Annotated[User | None, Depends(optional_user)]
