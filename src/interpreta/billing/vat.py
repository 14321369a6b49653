"""VAT on the operator's services: which treatment, which rate, which words.

The platform sells electronically supplied services, so the place of supply follows the
customer (Directive 2006/112/EC): a customer in the seller's country pays the seller's
rate; a business elsewhere in the EU, identified by a valid VAT ID, accounts for the VAT
itself (reverse charge, Art. 196); a consumer elsewhere in the EU pays their own
country's rate (declared through the One-Stop Shop); a customer outside the EU is outside
the scope of EU VAT. A VAT ID is checked for its country's format and check digits
(python-stdnum); whether it is registered is VIES's answer, a third-party service this
module does not call.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from stdnum.eu import vat as eu_vat

from interpreta.billing.document import VatCategory
from interpreta.billing.models import VatTreatment
from interpreta.i18n.catalogues import N_

__all__ = [
    "EU_STANDARD_RATES",
    "InvalidVatId",
    "Taxation",
    "as_issued",
    "normalise_vat_id",
    "taxation",
]

EU_STANDARD_RATES: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
        "EE": "24", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
        "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
        "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23",
    }.items()
}  # fmt: skip
"""Each EU member state's standard VAT rate in percent, as in force in December 2026."""

_VAT_PREFIX = {"GR": "EL"}
"""Countries whose VAT IDs carry another prefix than their ISO code (Greece: EL)."""

REVERSE_CHARGE_NOTE = N_(
    "Reverse charge: the recipient accounts for the VAT (Article 196 of Council Directive "
    "2006/112/EC)."
)
OUTSIDE_EU_NOTE = N_("Not subject to EU VAT: the place of supply is outside the European Union.")


class InvalidVatId(ValueError):
    """A VAT ID that is malformed, fails its check digits, or is not of the country."""


@dataclass(frozen=True)
class Taxation:
    """How a document to one buyer is taxed."""

    treatment: VatTreatment
    category: VatCategory
    rate: Decimal
    """Percent."""
    note: str | None
    """The sentence the document must carry (English, translated where shown)."""
    exemption_reason: str | None
    """Why no VAT is charged, for the e-invoice's breakdown (BT-120)."""


def normalise_vat_id(vat_id: str, country: str) -> str:
    """`vat_id` in its compact form (``DE123456789``), checked against `country`.

    :raises InvalidVatId: not a valid EU VAT ID of `country`.
    """
    compact = "".join(ch for ch in vat_id.upper() if ch.isalnum())
    prefix = _VAT_PREFIX.get(country, country)
    if not compact.startswith(prefix):
        compact = prefix + compact
    if country not in EU_STANDARD_RATES or not eu_vat.is_valid(compact):
        raise InvalidVatId(vat_id)
    return str(eu_vat.compact(compact))


def taxation(seller_country: str, buyer_country: str, buyer_vat_id: str | None) -> Taxation:
    """The VAT treatment of a service sold from `seller_country` to a buyer in
    `buyer_country`, a business when it has a (checked) VAT ID."""
    if buyer_country == seller_country:
        rate = EU_STANDARD_RATES[seller_country]
        return Taxation(VatTreatment.DOMESTIC, VatCategory.STANDARD, rate, None, None)
    if buyer_country not in EU_STANDARD_RATES:
        return Taxation(
            VatTreatment.OUTSIDE_EU,
            VatCategory.OUTSIDE_SCOPE,
            Decimal("0"),
            OUTSIDE_EU_NOTE,
            "Not subject to VAT",
        )
    if buyer_vat_id:
        return Taxation(
            VatTreatment.REVERSE_CHARGE,
            VatCategory.REVERSE_CHARGE,
            Decimal("0"),
            REVERSE_CHARGE_NOTE,
            "Reverse charge",
        )
    rate = EU_STANDARD_RATES[buyer_country]
    return Taxation(VatTreatment.EU_CONSUMER, VatCategory.STANDARD, rate, None, None)


def as_issued(treatment: VatTreatment, rate: Decimal) -> Taxation:
    """The taxation an issued document had, from what it stored: its credit notes and its
    renderings follow it, not today's rates or seller."""
    if treatment is VatTreatment.REVERSE_CHARGE:
        return Taxation(
            treatment, VatCategory.REVERSE_CHARGE, rate, REVERSE_CHARGE_NOTE, "Reverse charge"
        )
    if treatment is VatTreatment.OUTSIDE_EU:
        return Taxation(
            treatment, VatCategory.OUTSIDE_SCOPE, rate, OUTSIDE_EU_NOTE, "Not subject to VAT"
        )
    return Taxation(treatment, VatCategory.STANDARD, rate, None, None)
