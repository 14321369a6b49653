"""The server-rendered pages, through the test client."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interpreta.events import codes
from interpreta.web import pages
from tests.conftest import Account, join, speaker_key_of

SignUp = Callable[..., Account]

EVENT = {
    "title": "Climate Summit",
    "description": "Plenary & <workshops>",
    "starts_at": "2026-12-01T09:00:00+01:00",
    "ends_at": "2026-12-01T17:30:00+01:00",
    "timezone": "Europe/Berlin",
    "languages": [{"code": "de"}, {"code": "fr"}],
    "topics": ["Plenary", "Workshop A"],
}


def create_event(account: Account, **changes: Any) -> dict[str, Any]:
    """Create an event in the account's organisation through the API."""
    response = account.client.post(
        f"/api/organisations/{account.organisation_id}/events", json={**EVENT, **changes}
    )
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


def assert_html(response: Any, status: int = 200) -> str:
    """The page's HTML, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    text: str = response.text
    return text


def test_home_has_the_join_form(app_client: TestClient) -> None:
    html = assert_html(app_client.get("/"))
    assert "Join by event code" in html
    assert 'action="/join"' in html
    assert 'name="code"' in html
    assert 'autocapitalize="characters"' in html
    assert 'inputmode="text"' in html
    assert f'pattern="{pages.CODE_PATTERN}"' in html
    assert 'href="/login"' in html and 'href="/signup"' in html
    assert 'href="/privacy"' in html
    assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html


def test_code_pattern_accepts_exactly_the_codes() -> None:
    pattern = re.compile(pages.CODE_PATTERN)
    for _ in range(50):
        code = codes.new_code()
        assert pattern.fullmatch(code) and pattern.fullmatch(code.lower())
    for bad in ("ABC12", "ABCDEFGHJ", "ABCDEF0", "ABCDEFO", "ABC-DEF"):
        assert not pattern.fullmatch(bad)


def test_the_home_form_goes_to_the_join_page(app_client: TestClient) -> None:
    response = app_client.get("/join", params={"code": " ab-cd efg "}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/join/ABCDEFG"
    assert app_client.get("/join", follow_redirects=False).headers["location"] == "/"


def test_join_page_shows_the_event(app_client: TestClient, sign_up: SignUp) -> None:
    event = create_event(sign_up("ann"))
    html = assert_html(app_client.get(f"/join/{event['code']}"))
    assert "Climate Summit" in html
    assert "Plenary &amp; &lt;workshops&gt;" in html
    assert "Tuesday 1 December 2026, 09:00\u201317:30 CET" in html
    assert "Europe/Berlin" in html
    assert "Not live yet" in html
    shown = re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)
    assert shown.count('<span class="channel-name">Floor</span>') == 2  # one per topic
    assert "Floor underneath" in shown  # the listener mix
    assert shown.count("Deutsch (German)") == 2 and shown.count("Français (French)") == 2
    assert "Workshop A" in html
    assert 'id="player"' in html and "Audio starts when the event is live" in html


def test_join_page_asks_listeners_only_what_the_organiser_asks(
    app_client: TestClient, sign_up: SignUp
) -> None:
    anonymous = create_event(sign_up("ann"))
    assert 'id="player-name"' not in assert_html(app_client.get(f"/join/{anonymous['code']}"))
    named = create_event(sign_up("bea"), listener_details="name_and_email")
    html = assert_html(app_client.get(f"/join/{named['code']}"))
    assert 'id="player-name"' in html and 'id="player-email"' in html
    assert "The organiser asks for your name and email address" in html


def test_join_page_canonicalises_the_code(app_client: TestClient, sign_up: SignUp) -> None:
    event = create_event(sign_up("ann"))
    response = app_client.get(f"/join/{event['code'].lower()}", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == f"/join/{event['code']}"


def test_unknown_code_is_a_friendly_html_404(app_client: TestClient) -> None:
    html = assert_html(app_client.get("/join/ZZZZZZZ"), 404)
    assert "No event has this code" in html
    assert 'action="/join"' in html
    assert_html(app_client.get("/join/nonsense-that-is-too-long"), 404)


def test_sign_in_and_sign_up_pages(app_client: TestClient) -> None:
    login = assert_html(app_client.get("/login?next=/events/3"))
    assert 'data-api="/api/auth/login"' in login and 'data-next="/events/3"' in login
    assert 'for="login-email"' in login and 'for="login-password"' in login
    assert 'aria-describedby="login-email-error"' in login
    assert 'role="alert"' in login
    signup = assert_html(app_client.get("/signup"))
    assert 'data-api="/api/auth/signup"' in signup
    for name in ("name", "email", "password", "organisation_name"):
        assert f'for="signup-{name}"' in signup and f'name="{name}"' in signup
    assert "/static/js/auth.js" in signup


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "javascript:x"])
def test_next_never_leaves_the_site(app_client: TestClient, target: str) -> None:
    html = assert_html(app_client.get("/login", params={"next": target}))
    assert 'data-next="/events"' in html


def test_signed_in_users_skip_the_sign_in_page(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    response = ann.client.get("/login?next=/privacy", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/privacy"


def test_events_redirects_to_sign_in_when_signed_out(app_client: TestClient) -> None:
    for path in ("/events", "/events/new", "/events/1"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


def test_events_lists_the_organisations_events(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    html = assert_html(ann.client.get("/events"))
    assert "Ann Events" in html
    assert "Climate Summit" in html and f'href="/events/{event["id"]}"' in html
    assert event["code"] in html
    assert "1 Dec 2026, 09:00" in html
    assert f'href="/events/new?organisation={ann.organisation_id}"' in html


def test_new_event_page(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    html = assert_html(ann.client.get(f"/events/new?organisation={ann.organisation_id}"))
    assert "New event" in html and "Create event" in html
    assert 'type="datetime-local"' in html
    assert '<option value="Europe/Berlin"' in html and '<option value="UTC" selected>' in html
    assert '<option value="de">Deutsch (German)</option>' in html
    assert "/static/js/event-editor.js" in html
    assert_html(ann.client.get("/events/new?organisation=999"), 404)


def test_event_editor_shows_the_event(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    html = assert_html(ann.client.get(f"/events/{event['id']}?created=1"))
    assert f'id="event-code" translate="no">{event["code"]}<' in html
    assert f"https://testserver/join/{event['code']}" in html
    assert 'value="Climate Summit"' in html
    # The times show in the event's time zone, as the datetime-local inputs expect.
    assert 'value="2026-12-01T09:00"' in html and 'value="2026-12-01T17:30"' in html
    assert '<option value="Europe/Berlin" selected>' in html
    assert "Event created" in html
    assert 'id="editor-data"' in html and '"user_id":' in html and "ann@example.org" in html


def test_event_editor_is_404_for_other_organisations(sign_up: SignUp) -> None:
    event = create_event(sign_up("ann"))
    bob = sign_up("bob")
    html = assert_html(bob.client.get(f"/events/{event['id']}"), 404)
    assert "Climate Summit" not in html
    assert_html(bob.client.get("/events/99999"), 404)


def test_interpreters_see_the_event_but_cannot_change_it(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    ivy = sign_up("ivy")
    join(ann, ivy)
    events = assert_html(ivy.client.get("/events"))
    assert "Climate Summit" in events
    assert f"/events/new?organisation={ann.organisation_id}" not in events
    html = assert_html(ivy.client.get(f"/events/{event['id']}"))
    assert "Only owners and organisers can change this event" in html
    assert '<fieldset class="plain" disabled>' in html
    assert 'id="add-language"' not in html and 'id="booths"' not in html
    assert "ann@example.org" not in html  # the member list is for managers only
    assert_html(ivy.client.get(f"/events/new?organisation={ann.organisation_id}"), 404)


def test_logout_ends_the_session(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    assert "Sign out" in assert_html(ann.client.get("/logout"))
    response = ann.client.post("/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert ann.client.get("/api/auth/me").status_code == 401
    assert ann.client.get("/events", follow_redirects=False).status_code == 303


def test_privacy_shows_the_notice_in_force(app_client: TestClient) -> None:
    html = assert_html(app_client.get("/privacy"))
    assert "<h1>Privacy notice</h1>" in html
    assert "Version 1, in force since 24 November 2026." in html
    assert 'href="/privacy/versions/1"' in html
    assert "&lt;h1&gt;" not in html


def test_privacy_versions(app_client: TestClient) -> None:
    html = assert_html(app_client.get("/privacy/versions/1"))
    assert "Version 1, in force since" in html and "<h1>Privacy notice</h1>" in html
    missing = assert_html(app_client.get("/privacy/versions/99"), 404)
    assert "no version 99" in missing


def test_static_files_are_served(app_client: TestClient) -> None:
    for path in ("/static/css/site.css", "/static/js/api.js", "/static/js/event-editor.js"):
        assert app_client.get(path).status_code == 200


# --- live pages ---------------------------------------------------------------------------


def _assign(ann: Account, event: dict[str, Any], person: Account, lang: str) -> None:
    join(ann, person)
    booth = next(
        c["booth_id"] for c in event["topics"][0]["channels"] if c["language_code"] == lang
    )
    response = ann.client.post(
        f"/api/events/{event['id']}/booths/{booth}/interpreters", json={"user_id": person.user_id}
    )
    assert response.status_code == 201, response.text


def test_join_page_has_the_player(app_client: TestClient, sign_up: SignUp) -> None:
    event = create_event(sign_up("ann"))
    html = assert_html(app_client.get(f"/join/{event['code']}"))
    assert 'id="player-toggle"' in html and 'id="player-volume"' in html
    assert 'id="player-topic"' in html  # two topics: a topic picker
    assert "js/live/listener.js" in html
    assert '"name": "Deutsch (German)"' in html or '"name":"Deutsch (German)"' in html


def test_editor_shows_the_live_links_to_managers(platform: Any, sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    key = speaker_key_of(platform, event["id"])
    html = assert_html(ann.client.get(f"/events/{event['id']}"))
    assert f"/events/{event['id']}/live" in html
    assert f"/speak/{event['code']}?key={key}&amp;topic=" in html
    assert f"https://testserver/interpret/{event['code']}" in html
    assert 'id="rotate-speaker-link"' in html
    new = ann.client.post(f"/api/events/{event['id']}/speaker-link").json()["key"]
    assert new != key and f"key={new}" in assert_html(ann.client.get(f"/events/{event['id']}"))
    ivy = sign_up("ivy")
    _assign(ann, event, ivy, "de")
    page = assert_html(ivy.client.get(f"/events/{event['id']}"))
    assert new not in page and 'id="rotate-speaker-link"' not in page
    assert ivy.client.post(f"/api/events/{event['id']}/speaker-link").status_code == 403


def test_speaker_page_needs_the_speaker_key(
    platform: Any, app_client: TestClient, sign_up: SignUp
) -> None:

    ann = sign_up("ann")
    event = create_event(ann)
    key = speaker_key_of(platform, event["id"])
    html = assert_html(app_client.get(f"/speak/{event['code']}?key={key}"))
    assert "Start sending my microphone" in html and "js/live/speaker.js" in html
    assert_html(app_client.get(f"/speak/{event['code']}?key=wrong"), 404)
    assert_html(app_client.get(f"/speak/{event['code']}"), 404)
    # an organiser needs no key: the page fills it in
    assert key in assert_html(ann.client.get(f"/speak/{event['code']}"))


def test_interpreter_console_is_for_assigned_interpreters(
    app_client: TestClient, sign_up: SignUp
) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    response = app_client.get(f"/interpret/{event['code']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/interpret/{event['code']}"
    assert_html(ann.client.get(f"/interpret/{event['code']}"), 404)  # the owner has no booth
    ivy = sign_up("ivy")
    _assign(ann, event, ivy, "fr")
    html = assert_html(ivy.client.get(f"/interpret/{event['code']}"))
    assert "Français (French) booth" in html and "js/live/interpreter.js" in html
    assert 'id="mic"' in html and 'id="cough"' in html and 'id="chat-form"' in html


def test_live_view_is_for_organisers(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = create_event(ann)
    html = assert_html(ann.client.get(f"/events/{event['id']}/live"))
    assert "Live view" in html and "js/live/moderator.js" in html
    assert f"/speak/{event['code']}?key=" in html
    ivy = sign_up("ivy")
    _assign(ann, event, ivy, "de")
    assert_html(ivy.client.get(f"/events/{event['id']}/live"), 404)
    assert_html(sign_up("bob").client.get(f"/events/{event['id']}/live"), 404)
