"""What a media plane keeps of its channels and peers, and the checks its requests begin with."""

from __future__ import annotations

from typing import Generic, TypeVar

from interpreta.media.plane import MediaPlaneError, PeerExistsError, UnknownChannelError

__all__ = ["PlaneRecords"]

ChannelT = TypeVar("ChannelT")
PeerT = TypeVar("PeerT")


class PlaneRecords(Generic[ChannelT, PeerT]):
    """A plane's own record of its open channels and attached peers, by id, and whether it
    is shut down: the base of each backend's plane, which says what a channel and a peer
    are. The checks raise the :mod:`~interpreta.media.plane` errors the protocol names."""

    def __init__(self) -> None:
        self._channels: dict[str, ChannelT] = {}
        self._peers: dict[str, PeerT] = {}
        self._shut_down = False

    def _check_running(self) -> None:
        """Refuse a request to a plane that is shut down."""
        if self._shut_down:
            raise MediaPlaneError("the media plane is shut down")

    def _channel(self, channel_id: str) -> ChannelT:
        """The open channel `channel_id` of a running plane."""
        self._check_running()
        channel = self._channels.get(channel_id)
        if channel is None:
            raise UnknownChannelError(f"channel {channel_id!r} is not open")
        return channel

    def _check_new_peer_id(self, peer_id: str) -> None:
        """Refuse a peer id that an attached peer already has."""
        if peer_id in self._peers:
            raise PeerExistsError(f"peer {peer_id!r} is already attached")
