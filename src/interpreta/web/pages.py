"""Page routes (the pages land in the next commit)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
