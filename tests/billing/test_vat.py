"""VAT: which treatment a buyer gets, and VAT IDs checked by their country's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from interpreta.billing.document import VatCategory
from interpreta.billing.models import VatTreatment
from interpreta.billing.vat import EU_STANDARD_RATES, InvalidVatId, normalise_vat_id, taxation


def test_a_buyer_in_the_sellers_country_pays_its_rate() -> None:
    taxed = taxation("DE", "DE", "DE136695976")
    assert (taxed.treatment, taxed.category, taxed.rate) == (
        VatTreatment.DOMESTIC,
        VatCategory.STANDARD,
        Decimal("19"),
    )
    assert taxed.note is None


def test_a_business_elsewhere_in_the_eu_is_reverse_charged() -> None:
    taxed = taxation("DE", "FR", "FR40303265045")
    assert (taxed.treatment, taxed.category, taxed.rate) == (
        VatTreatment.REVERSE_CHARGE,
        VatCategory.REVERSE_CHARGE,
        Decimal("0"),
    )
    assert taxed.note is not None and "Article 196" in taxed.note
    assert taxed.exemption_reason == "Reverse charge"


def test_a_consumer_elsewhere_in_the_eu_pays_their_countrys_rate() -> None:
    taxed = taxation("DE", "AT", None)
    assert (taxed.treatment, taxed.rate) == (VatTreatment.EU_CONSUMER, Decimal("20"))
    assert taxation("DE", "FI", None).rate == Decimal("25.5")


def test_a_buyer_outside_the_eu_is_outside_its_scope() -> None:
    taxed = taxation("DE", "CH", "CHE-116.281.710 MWST")
    assert (taxed.treatment, taxed.category, taxed.rate) == (
        VatTreatment.OUTSIDE_EU,
        VatCategory.OUTSIDE_SCOPE,
        Decimal("0"),
    )


def test_the_rates_cover_the_twenty_seven_member_states() -> None:
    assert len(EU_STANDARD_RATES) == 27
    assert all(Decimal("15") <= rate <= Decimal("27") for rate in EU_STANDARD_RATES.values())


@pytest.mark.parametrize(
    ("written", "country", "compact"),
    [
        ("DE 136 695 976", "DE", "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("fr 40 303 265 045", "FR", "FR40303265045"),
        ("EL094259216", "GR", "EL094259216"),
    ],
)
def test_vat_ids_are_compacted_and_prefixed(written: str, country: str, compact: str) -> None:
    assert normalise_vat_id(written, country) == compact


@pytest.mark.parametrize(
    ("written", "country"),
    [
        ("DE136695977", "DE"),  # a wrong check digit
        ("FR40303265045", "DE"),  # another country's
        ("DE13669597", "DE"),  # too short
        ("CHE116281710", "CH"),  # not an EU country
        ("", "DE"),
    ],
)
def test_bad_vat_ids_are_refused(written: str, country: str) -> None:
    with pytest.raises(InvalidVatId):
        normalise_vat_id(written, country)
