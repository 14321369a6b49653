"""``GET /health``: whether this node can serve, for a load balancer's health check.

It answers 200 when the node reaches its database, and 503 (problem+json) when it does
not, so HAProxy (or any balancer) stops sending clients to it. It reads no personal data
and writes nothing; it is not the availability figure (P23), which synthetic joins from
outside measure.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from interpreta.api.dependencies import PlatformDep
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.platform import Platform

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    """This node is ready."""

    status: str = "ok"


def _database_answers(platform: Platform) -> bool:
    try:
        with platform.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"description": "The node cannot reach its database."}},
)
async def health(platform: PlatformDep) -> HealthOut:
    """Ready to serve: the database answers."""
    if not await asyncio.to_thread(_database_answers, platform):
        raise Problem(503, gettext("Not ready"), gettext("This node cannot reach its database."))
    return HealthOut()
