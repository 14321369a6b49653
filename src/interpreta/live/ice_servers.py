"""The ICE servers a browser's peer connections use: STUN, and TURN with time-limited
credentials.

Each client gets the list in its ``welcome`` message, in the shape of
``RTCConfiguration.iceServers``. TURN credentials follow the TURN REST scheme
(draft-uberti-behave-turn-rest-00, coturn's ``use-auth-secret``): the TURN server and
the platform share a secret; the username is ``<expiry unix time>:<id>``, the password
``base64(HMAC-SHA1(secret, username))``. The TURN server recomputes the password from
the username and refuses a username whose time has passed, so nothing is stored and no
call to the TURN server is needed.

The id is random, made anew for each credential: the TURN server logs usernames, and a
random id ties those lines to no one (no name, email address or participant id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NotRequired, TypedDict

from interpreta.config import Settings

__all__ = ["IceServer", "TurnCredential", "ice_servers", "turn_credential", "turn_password"]


class IceServer(TypedDict):
    """One entry of ``RTCConfiguration.iceServers``, as browsers and aiortc take it."""

    urls: list[str]
    username: NotRequired[str]
    credential: NotRequired[str]


@dataclass(frozen=True)
class TurnCredential:
    """A TURN username and password that work until ``expires_at``."""

    username: str
    password: str
    expires_at: datetime


def turn_password(secret: str, username: str) -> str:
    """The password the TURN server expects for ``username``: base64(HMAC-SHA1)."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def turn_credential(
    secret: str, *, now: datetime, lifetime: timedelta, opaque_id: str | None = None
) -> TurnCredential:
    """A credential for the TURN server sharing ``secret``, working for ``lifetime``.

    :param now: the current time (timezone-aware); the expiry is counted from it.
    :param opaque_id: the part after the colon; random by default. Never personal data:
        the TURN server writes it to its log.
    """
    expires_at = now + lifetime
    username = f"{int(expires_at.timestamp())}:{opaque_id or secrets.token_urlsafe(12)}"
    return TurnCredential(username, turn_password(secret, username), expires_at)


def ice_servers_ttl(settings: Settings) -> int:
    """Seconds the credentials in :func:`ice_servers` work (0: nothing expires). A page
    open longer asks for fresh ones (``ice_servers`` on the signaling socket) before it
    makes a new peer connection."""
    if settings.turn_urls and settings.turn_secret:
        return settings.turn_credential_hours * 3600
    return 0


def ice_servers(settings: Settings, now: datetime) -> list[IceServer]:
    """The ICE servers the settings name, TURN with a fresh credential; empty if none.

    An empty list means host candidates only (the browser still offers mDNS or host
    candidates, and learns the server's from its answer).
    """
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls and settings.turn_secret:
        credential = turn_credential(
            settings.turn_secret,
            now=now,
            lifetime=timedelta(hours=settings.turn_credential_hours),
        )
        servers.append(
            {
                "urls": list(settings.turn_urls),
                "username": credential.username,
                "credential": credential.password,
            }
        )
    return servers
