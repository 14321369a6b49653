"""Pages, page scripts' messages and mails in the visitor's language."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interpreta.i18n import catalogues, locales
from interpreta.platform import Platform
from tests.conftest import RecordingMailer

TRANSLATED = [code for code in locales.SUPPORTED if code != locales.DEFAULT]


def _in(code: str, message: str) -> str:
    """`message` as the catalogue of `code` has it (escaped as the pages write it)."""
    translated = str(catalogues.catalog(code)[message].string)
    return translated.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_page_renders_in_each_language(app_client: TestClient, code: str) -> None:
    page = app_client.get("/", params={"lang": code})
    assert page.status_code == 200
    html = page.text
    assert f'<html lang="{code}">' in html
    assert _in(code, "Skip to main content") in html
    assert _in(code, "Join an event") in html
    assert "Skip to main content" not in html
    assert page.cookies.get(locales.COOKIE) == code
    again = app_client.get("/login")  # the choice is kept
    assert f'<html lang="{code}">' in again.text


def test_the_browser_language_is_the_default(app_client: TestClient) -> None:
    page = app_client.get("/", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    assert '<html lang="it">' in page.text
    assert _in("it", "Join an event") in page.text
    english = app_client.get("/", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in english.text and "Join an event" in english.text


def test_the_language_picker_names_each_language_in_itself(app_client: TestClient) -> None:
    html = app_client.get("/").text
    for code, name in (
        ("de", "Deutsch"),
        ("fr", "Français"),
        ("es", "Español"),
        ("it", "Italiano"),
    ):
        assert f'href="?lang={code}" lang="{code}"' in html and name in html


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_page_scripts_get_their_messages_in_the_language(
    app_client: TestClient, code: str
) -> None:
    html = app_client.get("/", params={"lang": code}).text
    embedded = re.search(r'<script type="application/json" id="i18n-data">(.*?)</script>', html)
    assert embedded is not None
    messages = json.loads(embedded.group(1))
    assert messages == catalogues.script_messages(code)
    assert messages["Connecting…"] == catalogues.catalog(code)["Connecting…"].string
    english = app_client.get("/", params={"lang": "en"}).text
    assert '<script type="application/json" id="i18n-data">{}</script>' in english


def test_a_mail_goes_in_the_language_of_the_request(
    platform: Platform, app_client: TestClient, outbox: RecordingMailer, sign_up: Any
) -> None:
    response = app_client.post(
        "/api/auth/signup",
        json={
            "email": "dora@example.org",
            "name": "Dora",
            "password": "a long enough password",
            "organisation_name": "Dora Events",
        },
        headers={"Accept-Language": "de-DE"},
    )
    assert response.status_code == 201, response.text
    mail = outbox.sent[-1]
    assert mail.subject == catalogues.catalog("de")["Confirm your email address"].string
    assert "Confirm your email address" not in mail.body
