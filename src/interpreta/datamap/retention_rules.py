"""Retention rules as typed values, and the defaults the privacy promises set.

A rule says from which moment (its *anchor*) a record's time runs, for how long,
and what happens when it is over (delete or anonymise). The retention engine,
the privacy notice and the records of processing all read these values; the
defaults below are promises P08-P14 and P16 of the privacy-promises spec.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from interpreta.i18n.catalogues import N_, gettext, ngettext
from interpreta.i18n.locales import DEFAULT, speaking

Unit = Literal["days", "weeks", "months", "years"]


class Anchor(StrEnum):
    """The moment a retention period counts from."""

    EVENT_END = "event_end"
    CONTRACT_END = "contract_end"
    ACCOUNT_CLOSURE = "account_closure"
    ISSUE = "issue"
    SUBSCRIPTION = "subscription"
    INCIDENT_CLOSURE = "incident_closure"
    SESSION_END = "session_end"
    HOLD_RELEASE = "hold_release"
    MARK_LIFTED = "mark_lifted"
    CREATION = "creation"

    @property
    def words(self) -> str:
        """The anchor in plain words, in English (the notice shows them translated)."""
        return _ANCHOR_WORDS[self]


_ANCHOR_WORDS = {
    Anchor.EVENT_END: N_("the event ends"),
    Anchor.CONTRACT_END: N_("the customer's contract ends"),
    Anchor.ACCOUNT_CLOSURE: N_("the customer account is closed"),
    Anchor.ISSUE: N_("it is issued"),
    Anchor.SUBSCRIPTION: N_("you subscribe"),
    Anchor.INCIDENT_CLOSURE: N_("the incident is closed"),
    Anchor.SESSION_END: N_("the sign-in session ends"),
    Anchor.HOLD_RELEASE: N_("the hold is released"),
    Anchor.MARK_LIFTED: N_("the restriction or objection is lifted"),
    Anchor.CREATION: N_("it is recorded"),
}
"""The moment each anchor names, ending "... after ___" or "... when ___" (translated where
shown)."""

_STILL_WORDS = {
    Anchor.HOLD_RELEASE: N_("the hold is in force"),
    Anchor.MARK_LIFTED: N_("it is in force"),
}
"""What keeps a record while it is open, by anchor (else: the incident is open)."""
_STILL_OPEN = N_("the incident is open")


class Disposal(StrEnum):
    """What happens to a record whose time is over."""

    DELETE = "delete"
    ANONYMISE = "anonymise"


@dataclass(frozen=True)
class Period:
    """A calendar period: a whole number of days, weeks, months or years."""

    amount: int
    unit: Unit = "days"

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a retention period cannot be negative")

    def after(self, moment: datetime) -> datetime:
        """The moment this period after `moment` (months and years by the calendar)."""
        return self._shift(moment, 1)

    def before(self, moment: datetime) -> datetime:
        """The moment this period before `moment`: records anchored earlier are due."""
        return self._shift(moment, -1)

    def _shift(self, moment: datetime, sign: int) -> datetime:
        if self.unit == "days":
            return moment + sign * timedelta(days=self.amount)
        if self.unit == "weeks":
            return moment + sign * timedelta(weeks=self.amount)
        months = sign * self.amount * (12 if self.unit == "years" else 1)
        month_index = moment.month - 1 + months
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)

    @property
    def words(self) -> str:
        """'7 days', '1 year', '10 years', in the current language."""
        n = self.amount
        if self.unit == "days":
            return ngettext("%(num)s day", "%(num)s days", n)
        if self.unit == "weeks":
            return ngettext("%(num)s week", "%(num)s weeks", n)
        if self.unit == "months":
            return ngettext("%(num)s month", "%(num)s months", n)
        return ngettext("%(num)s year", "%(num)s years", n)


@dataclass(frozen=True)
class RetentionRule:
    """A fixed rule: `disposal` happens `period` after `anchor`."""

    key: str
    anchor: Anchor
    period: Period
    disposal: Disposal = Disposal.DELETE
    ends_with_consent: bool = False
    kept_while_open: bool = False
    promise: str | None = None

    def due(self, anchored_at: datetime) -> datetime:
        """When a record anchored at `anchored_at` must be disposed of."""
        return self.period.after(anchored_at)

    def describe(self, language: str = DEFAULT) -> str:
        """The rule in plain words, for the privacy notice, in `language` (English for
        the records of processing and the reports)."""
        with speaking(language):
            moment = gettext(_ANCHOR_WORDS[self.anchor])
            deleted = self.disposal is Disposal.DELETE
            if self.period.amount == 0:
                text = (
                    gettext("deleted when %(moment)s", moment=moment)
                    if deleted
                    else gettext("anonymised when %(moment)s", moment=moment)
                )
            else:
                period = self.period.words
                text = (
                    gettext("deleted %(period)s after %(moment)s", period=period, moment=moment)
                    if deleted
                    else gettext(
                        "anonymised %(period)s after %(moment)s", period=period, moment=moment
                    )
                )
            if self.kept_while_open:
                still = gettext(_STILL_WORDS.get(self.anchor, _STILL_OPEN))
                text = gettext(
                    "kept while %(condition)s, then %(disposal)s", condition=still, disposal=text
                )
            if self.ends_with_consent:
                text = gettext("%(rule)s, or at once when you withdraw your consent", rule=text)
            return text


@dataclass(frozen=True)
class CustomerDefinedRule:
    """A rule the customer may set for its own confidential content (P16).

    The operator bounds what a customer may choose (settings
    ``content_retention_min_days`` / ``content_retention_max_days``).
    """

    key: str
    anchor: Anchor
    default: Period
    disposal: Disposal = Disposal.DELETE
    promise: str | None = "P16"

    def effective(self, override_days: int | None) -> RetentionRule:
        """The fixed rule in force for a customer who chose `override_days` (or not)."""
        period = self.default if override_days is None else Period(override_days)
        return RetentionRule(self.key, self.anchor, period, self.disposal, promise=self.promise)

    def describe(self, language: str = DEFAULT) -> str:
        """The rule in plain words, for the privacy notice, in `language`."""
        base = self.effective(None).describe(language)
        with speaking(language):
            return gettext(
                "%(rule)s by default; the event organiser may choose another period", rule=base
            )


AnyRule = RetentionRule | CustomerDefinedRule

ACCOUNT_IDENTITY = RetentionRule(
    "account_identity", Anchor.CONTRACT_END, Period(0), Disposal.ANONYMISE, promise="P08"
)
ACCOUNT_DATA = RetentionRule(
    "account_data", Anchor.ACCOUNT_CLOSURE, Period(30), Disposal.ANONYMISE, promise="P08"
)
PARTICIPATION = RetentionRule(
    "participation", Anchor.EVENT_END, Period(7), Disposal.DELETE, promise="P09"
)
COMMERCIAL = RetentionRule(
    "commercial", Anchor.ACCOUNT_CLOSURE, Period(5, "years"), Disposal.DELETE, promise="P10"
)
INVOICES = RetentionRule("invoices", Anchor.ISSUE, Period(10, "years"), promise="P11")
NEWSLETTER = RetentionRule(
    "newsletter", Anchor.SUBSCRIPTION, Period(3, "years"), ends_with_consent=True, promise="P12"
)
NEWSLETTER_REQUESTS = RetentionRule(
    "newsletter_requests", Anchor.CREATION, Period(7), Disposal.DELETE, promise="P12"
)
CONSENT_RECORDS = RetentionRule(
    "consent_records", Anchor.CREATION, Period(3, "years"), Disposal.DELETE, promise="P05"
)
SUPPORT = RetentionRule(
    "support", Anchor.ACCOUNT_CLOSURE, Period(3, "years"), Disposal.DELETE, promise="P13"
)
INCIDENT = RetentionRule(
    "incident",
    Anchor.INCIDENT_CLOSURE,
    Period(5, "years"),
    Disposal.DELETE,
    kept_while_open=True,
    promise="P14",
)
SIGN_IN_SESSIONS = RetentionRule("sign_in_sessions", Anchor.SESSION_END, Period(90))
MEETING_CONTENT = CustomerDefinedRule("meeting_content", Anchor.EVENT_END, Period(30))
REGISTRATION = CustomerDefinedRule("registration", Anchor.EVENT_END, Period(30))
PROCESSING_MARKS = RetentionRule(
    "processing_marks", Anchor.MARK_LIFTED, Period(3, "years"), kept_while_open=True
)
LEGAL_HOLD = RetentionRule(
    "legal_hold", Anchor.HOLD_RELEASE, Period(1, "years"), kept_while_open=True, promise="P15"
)
AUDIT_LOG = RetentionRule("audit_log", Anchor.CREATION, Period(3, "years"), Disposal.DELETE)
DISCLOSURES = RetentionRule(
    "disclosures", Anchor.CREATION, Period(3, "years"), Disposal.DELETE, promise="P20"
)

RULES: dict[str, AnyRule] = {
    rule.key: rule
    for rule in (
        ACCOUNT_IDENTITY,
        ACCOUNT_DATA,
        PARTICIPATION,
        COMMERCIAL,
        INVOICES,
        NEWSLETTER,
        NEWSLETTER_REQUESTS,
        CONSENT_RECORDS,
        SUPPORT,
        INCIDENT,
        SIGN_IN_SESSIONS,
        MEETING_CONTENT,
        REGISTRATION,
        LEGAL_HOLD,
        PROCESSING_MARKS,
        AUDIT_LOG,
        DISCLOSURES,
    )
}
"""Every rule a declaration may name, by key."""
