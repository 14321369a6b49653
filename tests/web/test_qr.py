"""Join by QR code: the live view's card, the printable poster and the SVG file, each
holding the QR code of the event's listener page, for its organisers only."""

from __future__ import annotations

import re
from collections.abc import Callable

import segno

from interpreta.web.qr import join_qr_svg, join_qr_svg_file
from tests.conftest import Account
from tests.web.test_pages import assert_html, create_event

SignUp = Callable[..., Account]


def _modules(svg: str) -> str:
    """The drawn modules of a QR code in an SVG (its path), to compare two codes."""
    found = re.search(r' d="([^"]+)"', svg)
    assert found, svg[:200]
    return found.group(1)


def _same_code(svg: str, url: str) -> bool:
    """Whether `svg` draws the QR code of `url` (at any scale and size)."""
    return _modules(svg) == _modules(join_qr_svg(url))


def test_the_code_holds_exactly_the_url() -> None:
    url = "https://events.example.org/join/K7P9RY6"
    assert _same_code(join_qr_svg(url, scale=3, label="x"), url)
    assert not _same_code(join_qr_svg(url + "X"), url)
    matrix = segno.make(url, error="m")
    assert matrix.error == "M"
    svg = join_qr_svg(url, label="QR code for the listeners")
    assert svg.startswith('<svg role="img" ') and "<title>QR code for the listeners</title>" in svg
    assert join_qr_svg_file(url).startswith(b"<?xml")


def test_the_live_view_and_the_poster_show_the_join_qr_code(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    join_url = f"https://testserver/join/{event['code']}"
    live = assert_html(ann.client.get(f"/events/{event['id']}/live"))
    card = live[live.index('id="join-qr"') :]
    assert _same_code(card, join_url)
    assert f'href="/events/{event["id"]}/poster"' in live
    assert f'href="/events/{event["id"]}/qr.svg"' in live

    poster = assert_html(ann.client.get(f"/events/{event['id']}/poster"))
    assert _same_code(poster[poster.index('id="poster-qr"') :], join_url)
    assert "Climate Summit" in poster and event["code"] in poster and join_url in poster
    assert "Deutsch (German) · Français (French)" in poster
    assert "js/poster.js" in poster


def test_the_qr_file_is_an_svg_download_of_the_join_url(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    response = ann.client.get(f"/events/{event['id']}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert f'filename="join-{event["code"]}.svg"' in response.headers["content-disposition"]
    assert _same_code(response.text, f"https://testserver/join/{event['code']}")


def test_only_the_event_s_organisers_get_its_poster_and_qr_code(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    for page in ("poster", "qr.svg"):
        path = f"/events/{event['id']}/{page}"
        assert_html(sign_up(f"bob-{page}").client.get(path), 404)
        assert_html(ann.client.get(f"/events/999999/{page}"), 404)
        signed_out = ann.client.__class__(ann.client.app, base_url="https://testserver")
        response = signed_out.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        bad = ann.client.get(f"/events/not-a-number/{page}")
        assert bad.status_code in (404, 422) and "Traceback" not in bad.text
