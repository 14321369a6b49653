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
        """The anchor in plain words, as the notice says it."""
        return _ANCHOR_WORDS[self]


_ANCHOR_WORDS = {
    Anchor.EVENT_END: "the event ends",
    Anchor.CONTRACT_END: "the customer's contract ends",
    Anchor.ACCOUNT_CLOSURE: "the customer account is closed",
    Anchor.ISSUE: "it is issued",
    Anchor.SUBSCRIPTION: "you subscribe",
    Anchor.INCIDENT_CLOSURE: "the incident is closed",
    Anchor.SESSION_END: "the sign-in session ends",
    Anchor.HOLD_RELEASE: "the hold is released",
    Anchor.MARK_LIFTED: "the restriction or objection is lifted",
    Anchor.CREATION: "it is recorded",
}


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
        """'7 days', '1 year', '10 years'."""
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


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

    def describe(self) -> str:
        """The rule in plain words, for the privacy notice."""
        verb = "deleted" if self.disposal is Disposal.DELETE else "anonymised"
        if self.kept_while_open:
            still = {
                Anchor.HOLD_RELEASE: "the hold is in force",
                Anchor.MARK_LIFTED: "it is in force",
            }.get(self.anchor, "the incident is open")
            head = f"kept while {still}, then {verb} "
        else:
            head = f"{verb} "
        when = (
            f"when {self.anchor.words}"
            if self.period.amount == 0
            else f"{self.period.words} after {self.anchor.words}"
        )
        text = head + when
        if self.ends_with_consent:
            text += ", or at once when you withdraw your consent"
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

    def describe(self) -> str:
        """The rule in plain words, for the privacy notice."""
        base = self.effective(None).describe()
        return f"{base} by default; the event organiser may choose another period"


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
    )
}
"""Every rule a declaration may name, by key."""
