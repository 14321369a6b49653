"""The embedded media backend: an Opus packet forwarder on aiortc, in process.

No decoding, no re-encoding, no jitter buffer: publishers' RTP payloads are fanned out to
the subscribers' senders as they arrive. The aiortc internals this needs are isolated in
:mod:`interpreta.media.forwarder.aiortc_hooks`, checked when it is imported.
"""

from interpreta.media.forwarder.embedded import EmbeddedMediaPlane

__all__ = ["EmbeddedMediaPlane"]
