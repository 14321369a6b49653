"""QR codes that open an event's listener page: drawn as SVG by segno, no image library.

The code holds only the public join URL (``/join/{code}``), which the organiser shares
anyway; error correction level M survives a poster's creases and a projector's blur.
"""

from __future__ import annotations

import io

import segno

__all__ = ["join_qr_svg", "join_qr_svg_file"]

ERROR_CORRECTION = "m"


def join_qr_svg(url: str, *, scale: int = 6, label: str | None = None) -> str:
    """The QR code of `url` as an inline ``<svg>`` element, named for screen readers
    (``role="img"`` with a ``<title>``: `label`, by default "QR code for" the URL)."""
    svg: str = segno.make(url, error=ERROR_CORRECTION).svg_inline(
        scale=scale,
        border=2,
        title=label or f"QR code for {url}",
        svgclass="qr",
        lineclass="qr-modules",
        dark="#000",
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def join_qr_svg_file(url: str, *, scale: int = 10) -> bytes:
    """The QR code of `url` as a standalone SVG file (for slides and print shops)."""
    buffer = io.BytesIO()
    segno.make(url, error=ERROR_CORRECTION).save(
        buffer, kind="svg", scale=scale, border=2, title=url
    )
    return buffer.getvalue()
