"""Pydantic's validation errors in the request's language.

Pydantic writes its messages in English. The common error types get messages of our own
here, in the catalogue, with the error's context (``ctx``) as placeholders; in English
each reads as pydantic's does. A type not listed, or an error whose context is not what
its message needs, keeps pydantic's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from interpreta.i18n.catalogues import N_, gettext, ngettext
from interpreta.i18n.locales import DEFAULT, current, join_or

SIMPLE = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "json_invalid": N_("JSON decode error"),
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "datetime_type": N_("Input should be a valid datetime"),
    "date_type": N_("Input should be a valid date"),
    "timezone_aware": N_("Input should have timezone info"),
    "url_type": N_("URL input should be a string or URL"),
}
"""Error types whose message has no placeholder."""

WITH_CONTEXT = {
    "greater_than": N_("Input should be greater than %(gt)s"),
    "greater_than_equal": N_("Input should be greater than or equal to %(ge)s"),
    "less_than": N_("Input should be less than %(lt)s"),
    "less_than_equal": N_("Input should be less than or equal to %(le)s"),
    # The reason after the comma is pydantic's (English).
    "url_parsing": N_("Input should be a valid URL, %(error)s"),
    "datetime_parsing": N_("Input should be a valid datetime, %(error)s"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, %(error)s"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, %(error)s"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, %(error)s"),
}
"""Error types whose message takes its placeholders from the error's context."""

FIELD_TYPES = {
    "List": N_("List"),
    "Set": N_("Set"),
    "Frozenset": N_("Frozenset"),
    "Tuple": N_("Tuple"),
    "Dictionary": N_("Dictionary"),
    "Data": N_("Data"),
    "Value": N_("Value"),
}
"""The collection names of ``too_short`` / ``too_long`` (translated where used)."""

PATTERNS = {
    r"^[A-Z]{3}$": N_("Use the currency's three capital letters (ISO 4217), such as EUR."),
    r"^[A-Z]{2}$": N_("Use the country's two capital letters (ISO 3166-1), such as DE."),
    r"^[a-z0-9][a-z0-9-]*$": N_(
        "Use lower-case letters, digits and dashes, beginning with a letter or a digit."
    ),
    r"^20\d\d-(0[1-9]|1[0-2])$": N_("Give a month as YYYY-MM, between 2000 and 2099."),
    r"^\d{4}-\d{5,6}$": N_("Give the invoice's number as it is printed, such as 2026-00042."),
    r"^[0-9 ]{6,8}$": N_("Enter the six digits your authenticator app shows."),
    r"^([0-9 ]{6,8})?$": N_("Enter the six digits your authenticator app shows."),
    r"^\+?[0-9 ()./-]{3,40}$": N_("Write a phone number with digits, spaces and + ( ) . / - only."),
    r"^[^\r\n]*$": N_("Write it on one line."),
    r"\S": N_("This field cannot be empty."),
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": N_("Use a language tag, such as de or pt-BR."),
    r"^https?://[A-Za-z0-9._~-]+(:[0-9]{1,5})?(/[^\s\x00-\x1f\x7f-\x9f]*)?$": N_(
        "Give an http or https address whose host is written in ASCII "
        "(an international name in its xn-- form)."
    ),
    r"^[A-Za-z0-9 -]+$": N_("Use letters, digits, spaces and dashes only."),
    r"^[A-Za-z0-9_-]+$": N_("Use letters, digits, underscores and dashes only."),
}
"""What each pattern the API's inputs are checked against asks for, in words: a
``string_pattern_mismatch`` names it instead of the regular expression. A pattern not
listed here is named as it is (a test keeps every pattern of the API listed)."""

QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
EMAIL = "value is not a valid email address: "


def _choices(expected: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` with the language's own "or"."""
    items = QUOTED.findall(expected)
    if len(items) < 2 or ", ".join(items[:-1]) + " or " + items[-1] != expected:
        return expected
    return join_or(items)


def _too_short(ctx: Mapping[str, Any]) -> str:
    return ngettext(
        "%(type)s should have at least %(num)s item after validation, not %(actual)s",
        "%(type)s should have at least %(num)s items after validation, not %(actual)s",
        int(ctx["min_length"]),
        type=gettext(FIELD_TYPES.get(str(ctx["field_type"]), str(ctx["field_type"]))),
        actual=ctx["actual_length"],
    )


def _too_long(ctx: Mapping[str, Any]) -> str:
    return ngettext(
        "%(type)s should have at most %(num)s item after validation, not %(actual)s",
        "%(type)s should have at most %(num)s items after validation, not %(actual)s",
        int(ctx["max_length"]),
        type=gettext(FIELD_TYPES.get(str(ctx["field_type"]), str(ctx["field_type"]))),
        actual=ctx["actual_length"],
    )


def _pattern(ctx: Mapping[str, Any]) -> str:
    pattern = str(ctx["pattern"])
    if pattern in PATTERNS:
        return gettext(PATTERNS[pattern])
    return gettext("String should match pattern '%(pattern)s'", pattern=pattern)


EMAIL_REASONS = {
    "An email address must have an @-sign.": N_("An email address must have an @-sign."),
    "There must be something before the @-sign.": N_("There must be something before the @-sign."),
    "The part after the @-sign is not valid. It should have a period.": N_(
        "The part after the @-sign should have a period, as in example.org."
    ),
    "The part after the @-sign is not valid. It is not within a valid top-level domain.": N_(
        "The part after the @-sign does not end in a top-level domain that exists."
    ),
    "The part after the @-sign is a special-use or reserved name that cannot be used "
    "with email.": N_("The part after the @-sign is a reserved name that takes no mail."),
    "An email address cannot have two periods in a row.": N_(
        "An email address cannot have two periods in a row."
    ),
    "An email address cannot start with a period.": N_(
        "An email address cannot start with a period."
    ),
    "An email address cannot end with a period.": N_("An email address cannot end with a period."),
    "An email address cannot have a period immediately before the @-sign.": N_(
        "An email address cannot have a period just before the @-sign."
    ),
    "An email address cannot have a period immediately after the @-sign.": N_(
        "An email address cannot have a period just after the @-sign."
    ),
    "There can't be anything after the email address.": N_(
        "There can't be anything after the email address."
    ),
}
"""The email validator's reasons (English) that readers meet most, in our words."""

EMAIL_REASON_STARTS = {
    "The email address contains invalid characters before the @-sign": N_(
        "The part before the @-sign holds characters an email address cannot have."
    ),
    "The part after the @-sign contains invalid characters": N_(
        "The part after the @-sign holds characters an email address cannot have."
    ),
    "The email address is too long": N_("The email address is too long."),
}
"""Reasons that go on with details (the characters, the length), by their beginning."""


def _email_reason(reason: str) -> str:
    """The email validator's `reason` in the reader's language: ours for the common
    reasons, one plain sentence for the rare ones outside English."""
    if reason in EMAIL_REASONS:
        return gettext(EMAIL_REASONS[reason])
    for start, said in EMAIL_REASON_STARTS.items():
        if reason.startswith(start):
            return gettext(said)
    if current() == DEFAULT:  # the validator's own detail, in its language
        return f"value is not a valid email address: {reason}"
    return gettext("This is not a valid email address.")


def _value_error(ctx: Mapping[str, Any], message: str) -> str:
    if message.startswith(EMAIL) and "reason" in ctx:
        return _email_reason(str(ctx["reason"]))
    # Our own validators raise their messages translated already.
    return gettext("Value error, %(error)s", error=ctx["error"])


BUILT: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "string_too_short": lambda ctx, _msg: ngettext(
        "String should have at least %(num)s character",
        "String should have at least %(num)s characters",
        int(ctx["min_length"]),
    ),
    "string_too_long": lambda ctx, _msg: ngettext(
        "String should have at most %(num)s character",
        "String should have at most %(num)s characters",
        int(ctx["max_length"]),
    ),
    "url_too_long": lambda ctx, _msg: ngettext(
        "URL should have at most %(num)s character",
        "URL should have at most %(num)s characters",
        int(ctx["max_length"]),
    ),
    "too_short": lambda ctx, _msg: _too_short(ctx),
    "too_long": lambda ctx, _msg: _too_long(ctx),
    "enum": lambda ctx, _msg: gettext(
        "Input should be %(expected)s", expected=_choices(str(ctx["expected"]))
    ),
    "literal_error": lambda ctx, _msg: gettext(
        "Input should be %(expected)s", expected=_choices(str(ctx["expected"]))
    ),
    "url_scheme": lambda ctx, _msg: gettext(
        "URL scheme should be %(expected_schemes)s",
        expected_schemes=_choices(str(ctx["expected_schemes"])),
    ),
    "string_pattern_mismatch": lambda ctx, _msg: _pattern(ctx),
    "value_error": _value_error,
}
"""Error types whose message is built from the context (plurals, lists of choices)."""


def message(error: Mapping[str, Any]) -> str:
    """The message of one of pydantic's errors (an item of ``errors()``), in the current
    language; pydantic's own text for the types not listed here."""
    kind = str(error.get("type", ""))
    original = str(error.get("msg", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    try:
        if kind in SIMPLE:
            return gettext(SIMPLE[kind])
        if kind in WITH_CONTEXT and ctx:
            return gettext(WITH_CONTEXT[kind], **{k: str(v) for k, v in ctx.items()})
        if kind in BUILT:
            return BUILT[kind](ctx, original)
    except (KeyError, TypeError, ValueError):
        pass  # a context that does not fit the message: pydantic's text
    return original
