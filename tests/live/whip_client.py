"""A WHIP client (RFC 9725) that aiortc test peers can use as a plane.

``publish`` has the media plane's signature, so the media test kit's ``start_publisher``
sends its tone through a real WHIP endpoint; the answer's headers are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx


class WhipRefused(Exception):
    """The endpoint did not answer 201."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code}: {response.text}")
        self.response = response


@dataclass
class WhipClient:
    """Publishes to one event's WHIP endpoint with a bearer key."""

    base_url: str
    code: str
    key: str | None
    topic: int | None = None
    responses: list[httpx.Response] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        """The event's WHIP endpoint."""
        return f"{self.base_url}/api/live/{self.code}/whip"

    @property
    def headers(self) -> dict[str, str]:
        """The bearer key, when there is one."""
        return {} if self.key is None else {"Authorization": f"Bearer {self.key}"}

    @property
    def created(self) -> httpx.Response:
        """The 201 of the session."""
        return next(r for r in self.responses if r.status_code == 201)

    @property
    def location(self) -> str:
        """The WHIP session's URL."""
        return str(self.created.headers["location"])

    async def post(self, offer_sdp: str, content_type: str = "application/sdp") -> httpx.Response:
        """POST an offer, as it is."""
        params = {} if self.topic is None else {"topic": str(self.topic)}
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.post(
                self.endpoint,
                content=offer_sdp.encode(),
                params=params,
                headers={**self.headers, "Content-Type": content_type},
            )
        self.responses.append(response)
        return response

    async def publish(self, _channel_id: str, _peer_id: str, offer_sdp: str) -> str:
        """The media plane's publish, over WHIP."""
        response = await self.post(offer_sdp)
        if response.status_code != 201:
            raise WhipRefused(response)
        return response.text

    async def delete(self) -> httpx.Response:
        """End the session."""
        async with httpx.AsyncClient(timeout=20) as http:
            return await http.delete(self.location, headers=self.headers)
