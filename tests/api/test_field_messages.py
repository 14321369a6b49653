"""Pydantic's validation messages as the API writes them: a pattern the input does not
match is said in words, in the reader's language, for every pattern the API checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from interpreta.api import staff_billing, staff_crm, support
from interpreta.api.field_messages import PATTERNS, message
from interpreta.api.inputs import NO_CONTROLS
from interpreta.app import create_app
from interpreta.i18n.catalogues import translations
from interpreta.i18n.locales import speaking
from interpreta.platform import Platform


def _patterns(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _patterns(item)


def test_every_pattern_the_api_checks_is_said_in_words(platform: Platform) -> None:
    # NO_CONTROLS only documents what Input's own validator refuses, in its own words.
    found = set(_patterns(create_app(platform).openapi())) - {NO_CONTROLS}
    assert found, "the schema names no pattern: the walk is wrong"
    assert found <= set(PATTERNS), sorted(found - set(PATTERNS))


def _first_error(model: Any, body: dict[str, Any]) -> Any:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return refused.value.errors()[0]


PLAN = {
    "code": "premium",
    "name": "Premium",
    "monthly_fee": "1290",
    "included_listener_hours": 1,
    "included_interpreter_hours": 1,
    "included_languages": 1,
    "included_storage_gb": 1,
    "listener_hour_price": "1",
    "interpreter_hour_price": "1",
    "storage_gb_price": "1",
    "first_response_hours": 1,
    "resolution_hours": 1,
}


@pytest.mark.parametrize(
    ("model", "body", "english"),
    [
        (
            staff_billing.PlanIn,
            {**PLAN, "currency": "euro"},
            "Use the currency's three capital letters (ISO 4217), such as EUR.",
        ),
        (
            staff_billing.PlanIn,
            {**PLAN, "code": "Premium!"},
            "Use lower-case letters, digits and dashes, beginning with a letter or a digit.",
        ),
        (
            staff_billing.MonthIn,
            {"month": "2026-13"},
            "Give a month as YYYY-MM, between 2000 and 2099.",
        ),
        (support.TicketIn, {"subject": "two\nlines", "body": "x"}, "Write it on one line."),
    ],
)
@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "it"])
def test_a_pattern_mismatch_is_said_in_the_reader_s_language(
    model: Any, body: dict[str, Any], english: str, lang: str
) -> None:
    error = _first_error(model, body)
    assert error["type"] == "string_pattern_mismatch"
    with speaking(lang):
        said = message(error)
    assert said == translations(lang).gettext(english)
    assert (said == english) == (lang == "en")
    assert "^" not in said and "$" not in said


def test_a_pattern_not_listed_is_named_as_it_is() -> None:
    error = {"type": "string_pattern_mismatch", "msg": "x", "ctx": {"pattern": "^a+$"}}
    assert message(error) == "String should match pattern '^a+$'"


@pytest.mark.parametrize(
    ("typed", "english"),
    [
        ("ann.example.org", "An email address must have an @-sign."),
        ("@example.org", "There must be something before the @-sign."),
        ("ann@example", "The part after the @-sign should have a period, as in example.org."),
        ("ann..lee@example.org", "An email address cannot have two periods in a row."),
        (
            "ann(lee)@example.org",
            "The part before the @-sign holds characters an email address cannot have.",
        ),
    ],
)
@pytest.mark.parametrize("lang", ["de", "fr", "es", "it"])
def test_an_email_address_refused_says_why_in_the_reader_s_language(
    typed: str, english: str, lang: str
) -> None:
    error = _first_error(staff_crm.ContactIn, {"name": "Ann", "email": typed})
    with speaking(lang):
        said = message(error)
    assert said == translations(lang).gettext(english) != english


def test_a_rare_email_reason_is_said_plainly_outside_english() -> None:
    error = _first_error(staff_crm.ContactIn, {"name": "Ann", "email": "ann@[300.1.1.1]"})
    assert "@-sign" in message(error)  # English keeps the validator's own detail
    with speaking("de"):
        said = message(error)
    assert said == translations("de").gettext("This is not a valid email address.")
