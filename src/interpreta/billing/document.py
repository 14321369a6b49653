"""An invoice or credit note as a document: what its PDF and its e-invoice both show.

Plain values, no database: :mod:`~interpreta.billing.invoices` builds one from the stored
invoice, :mod:`~interpreta.billing.pdf` draws it and :mod:`~interpreta.billing.einvoice`
writes it as EN 16931 XML (Factur-X). Amounts are :class:`~decimal.Decimal` in the
invoice's currency, rounded to the cent where EN 16931 says so (line, VAT and document
totals); quantities and unit prices keep their own precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from babel import Locale

__all__ = [
    "COUNTRIES",
    "DocumentKind",
    "DocumentLine",
    "InvoiceDocument",
    "Party",
    "VatBreakdown",
    "VatCategory",
]


_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
"""CLDR's two-letter groupings and placeholders that are no country (the EU, the
eurozone, the UN, outlying Oceania, pseudo-locales, unknown)."""

COUNTRIES = frozenset(
    code
    for code in map(str, Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)
"""The ISO 3166-1 alpha-2 codes a party's country may have, as CLDR names them."""


class DocumentKind(StrEnum):
    """What the document is, as UNTDID 1001 codes it (BT-3)."""

    INVOICE = "380"
    CREDIT_NOTE = "381"


class VatCategory(StrEnum):
    """The VAT category of a line and of a breakdown row (UNCL 5305, BT-151/BT-118)."""

    STANDARD = "S"
    """VAT charged at the rate of the place of supply."""
    REVERSE_CHARGE = "AE"
    """A business customer in another EU country accounts for the VAT itself."""
    OUTSIDE_SCOPE = "O"
    """A customer outside the EU: the service is not subject to EU VAT."""


@dataclass(frozen=True)
class Party:
    """The seller or the buyer, as the document names them."""

    name: str
    street: str
    postcode: str
    city: str
    country: str
    """ISO 3166-1 alpha-2 code (``DE``)."""
    vat_id: str | None = None
    """VAT identification number with its country prefix (``DE123456789``)."""
    legal_id: str | None = None
    """The seller's registration in the trade register (BT-30, ``HRB 123456 B``): how a
    document outside the scope of VAT, which may carry no VAT ID, names its seller."""
    email: str | None = None
    contact: str | None = None
    """The person the document is for (the buyer's billing contact)."""


@dataclass(frozen=True)
class DocumentLine:
    """One line of the document."""

    description: str
    quantity: Decimal
    unit: str
    """UN/ECE Recommendation 20 unit code: ``HUR`` hours, ``MON`` months, ``C62`` one."""
    unit_price: Decimal
    net: Decimal
    """quantity x unit price, rounded to the cent (BT-131)."""
    vat_category: VatCategory
    vat_rate: Decimal
    """Percent, e.g. ``Decimal("19")``; 0 for reverse charge and outside the scope."""


@dataclass(frozen=True)
class VatBreakdown:
    """The document's VAT for one category and rate (BG-23)."""

    category: VatCategory
    rate: Decimal
    taxable: Decimal
    tax: Decimal
    exemption_reason: str | None = None
    """Why no VAT is charged (BT-120): required for reverse charge and outside the scope."""


@dataclass(frozen=True)
class InvoiceDocument:
    """An issued invoice or credit note, complete for rendering."""

    kind: DocumentKind
    number: str
    issued_on: date
    due_on: date | None
    currency: str
    """ISO 4217 code (``EUR``)."""
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatBreakdown, ...]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    paid: Decimal = Decimal("0.00")
    period_start: date | None = None
    period_end: date | None = None
    preceding_number: str | None = None
    """The invoice a credit note corrects (BT-25)."""
    preceding_issued_on: date | None = None
    seller_iban: str | None = None
    """Where to pay by transfer (BT-84); shown only on the documents and to billing."""
    seller_bic: str | None = None
    payment_terms: str | None = None
    notes: tuple[str, ...] = field(default=())
    language: str = "en"
    """The language the PDF's labels are written in (the e-invoice's XML has none)."""

    @property
    def amount_due(self) -> Decimal:
        """What is left to pay (BT-115)."""
        return self.gross_total - self.paid
