"""The engagement estimates' pages (P37, P33), through the test client: the organisers'
page of an event (with the estimates' notice, for owners and organisers only, as the
event editor is), its link from the editor, and "Estimates about you" on the account
page. The page scripts, which read and write through the API, are driven in
test_engagement_browser.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account, join

SignUp = Callable[..., Account]


def _html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    text: str = response.text
    return text


def test_the_owner_sees_the_notice_and_the_script(sign_up: SignUp) -> None:
    ann = sign_up("ann")
    event = ann.create_event("Budget meeting")
    html = _html(ann.client.get(f"/events/{event['id']}/engagement"))
    assert "<h1>Engagement estimates</h1>" in html and "Budget meeting" in html
    assert f'href="/events/{event["id"]}"' in html
    notice = html[html.index('id="engagement-notice"') :]
    notice = notice[: notice.index("</div>")]
    assert 'role="note"' in notice
    assert "estimated by machines" in notice and "are counted" in notice
    assert "confidence" in notice and "A person checks a sample" in notice
    assert "No emotions are inferred" in notice
    assert "Make the estimates" in html
    assert 'id="estimates"' in html and 'id="queue"' in html
    assert 'role="status" aria-live="polite"' in html
    assert re.search(
        r'<script type="module" src="/static/js/engagement\.js\?v=[^"]+"></script>', html
    )
    data = re.search(r'<script type="application/json" id="engagement-data">(.*?)</script>', html)
    assert data is not None
    assert json.loads(data.group(1)) == {"event_id": event["id"], "organisation": "Ann Events"}


def test_organisers_see_it_too_and_the_editor_links_to_it(sign_up: SignUp) -> None:
    ann, otto = sign_up("ann"), sign_up("otto")
    join(ann, otto, "organiser")
    event = ann.create_event("Budget meeting")
    link = f'href="/events/{event["id"]}/engagement"'
    assert link in _html(ann.client.get(f"/events/{event['id']}"))
    assert "No emotions are inferred" in _html(otto.client.get(f"/events/{event['id']}/engagement"))


def test_it_is_404_for_other_customers_and_for_members_who_cannot_manage(
    sign_up: SignUp,
) -> None:
    ann, bob, ivy = sign_up("ann"), sign_up("bob"), sign_up("ivy")
    join(ann, ivy)  # an interpreter of Ann's organisation
    event = ann.create_event("Budget meeting")
    path = f"/events/{event['id']}/engagement"
    other = _html(bob.client.get(path), 404)
    assert "Budget meeting" not in other and "engagement.js" not in other
    assert "no such event in your organisations" in other
    _html(bob.client.get("/events/99999/engagement"), 404)
    member = _html(ivy.client.get(path), 404)
    assert "Only the event&#39;s organisers see this page." in member
    assert "engagement.js" not in member
    assert f'href="{path}"' not in _html(ivy.client.get(f"/events/{event['id']}"))


def test_signed_out_it_asks_to_sign_in_as_the_editor_does(
    sign_up: SignUp, app_client: TestClient
) -> None:
    event = sign_up("ann").create_event("Budget meeting")
    for path in (f"/events/{event['id']}", f"/events/{event['id']}/engagement"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


def test_the_account_page_has_estimates_about_you(sign_up: SignUp) -> None:
    html = _html(sign_up("ada").client.get("/account"))
    section = html[html.index('id="engagement"') :]
    section = section[: section.index("</section>")]
    assert "Estimates about you" in section
    assert 'href="/privacy/me#ask"' in section and "opt out of automated assessment" in section
    assert "No emotions are ever inferred" in section
    assert 'id="my-engagement"' in section and 'role="status"' in section
    assert re.search(
        r'<script type="module" src="/static/js/my-engagement\.js\?v=[^"]+"></script>', html
    )
    centre = _html(sign_up("ben").client.get("/privacy/me"))  # where the link goes
    assert 'id="ask"' in centre and "Opt out of automated assessment" in centre
