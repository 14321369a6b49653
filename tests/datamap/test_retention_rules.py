"""Retention rules: the default rules as written, and how periods are computed.

These tests check the rules' definitions, not that anything follows them, so they
prove no promise: P08, P09 and P16 are proved by the retention engine's tests
(`test_retention.py`); P10-P14 govern tables that do not exist yet (CRM,
invoices, newsletter, support desk, incidents) and stay unkept until they do.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.retention_rules import Anchor, Disposal, Period, RetentionRule


def test_rule_account_identity_until_contract_end_other_account_data_30_days() -> None:
    assert (
        RetentionRule(
            "account_identity", Anchor.CONTRACT_END, Period(0), Disposal.ANONYMISE, promise="P08"
        )
        == rules.ACCOUNT_IDENTITY
    )
    assert rules.ACCOUNT_DATA.anchor is Anchor.ACCOUNT_CLOSURE
    assert rules.ACCOUNT_DATA.period == Period(30)
    assert rules.ACCOUNT_DATA.disposal is Disposal.ANONYMISE


def test_rule_participation_deleted_one_week_after_event_end() -> None:
    rule = rules.PARTICIPATION
    assert (rule.anchor, rule.period, rule.disposal) == (
        Anchor.EVENT_END,
        Period(7),
        Disposal.DELETE,
    )
    ended = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    assert rule.due(ended) == datetime(2026, 3, 8, 18, 0, tzinfo=UTC)
    assert rule.describe() == "deleted 7 days after the event ends"


def test_rule_commercial_at_most_5_years_after_closure() -> None:
    assert rules.COMMERCIAL.anchor is Anchor.ACCOUNT_CLOSURE
    assert rules.COMMERCIAL.period == Period(5, "years")


def test_rule_invoices_kept_10_years_after_issue() -> None:
    assert rules.INVOICES.anchor is Anchor.ISSUE
    assert rules.INVOICES.period == Period(10, "years")
    issued = datetime(2026, 2, 28, tzinfo=UTC)
    assert rules.INVOICES.due(issued) == datetime(2036, 2, 28, tzinfo=UTC)


def test_rule_newsletter_3_years_and_no_longer_than_consent() -> None:
    assert rules.NEWSLETTER.period == Period(3, "years")
    assert rules.NEWSLETTER.ends_with_consent
    assert "withdraw your consent" in rules.NEWSLETTER.describe()


def test_rule_support_3_years_after_closure() -> None:
    assert rules.SUPPORT.anchor is Anchor.ACCOUNT_CLOSURE
    assert rules.SUPPORT.period == Period(3, "years")


def test_rule_incident_data_kept_while_open() -> None:
    assert rules.INCIDENT.kept_while_open
    assert rules.INCIDENT.anchor is Anchor.INCIDENT_CLOSURE
    assert rules.INCIDENT.describe().startswith("kept while the incident is open")


def test_rule_customer_defined_rule_has_a_default_and_takes_an_override() -> None:
    rule = rules.MEETING_CONTENT
    assert rule.effective(None).period == Period(30)
    assert rule.effective(90).period == Period(90)
    assert rule.effective(90).anchor is Anchor.EVENT_END


def test_every_default_rule_is_registered_under_its_key() -> None:
    assert all(rules.RULES[key].key == key for key in rules.RULES)
    promised = {r.promise for r in rules.RULES.values()}
    assert {"P08", "P09", "P10", "P11", "P12", "P13", "P14", "P16"} <= promised


def test_leap_day_plus_a_year_is_the_last_day_of_february() -> None:
    assert Period(1, "years").after(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(
        2029, 2, 28, tzinfo=UTC
    )


def test_negative_periods_are_refused() -> None:
    with pytest.raises(ValueError):
        Period(-1)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    st.integers(0, 400),
    st.sampled_from(["days", "weeks", "months", "years"]),
)
def test_a_period_never_ends_before_it_starts(moment: datetime, amount: int, unit: str) -> None:
    start = moment.replace(tzinfo=UTC)
    assert Period(amount, unit).after(start) >= start  # type: ignore[arg-type]
