"""Invoice documents for the billing tests: one of each kind the platform issues."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from interpreta.billing.document import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdown,
    VatCategory,
)

SELLER = Party(
    name="Interpreta GmbH",
    street="Friedrichstraße 123",
    postcode="10117",
    city="Berlin",
    country="DE",
    vat_id="DE123456789",
    legal_id="HRB 123456 B",
    email="billing@interpreta.example",
)

GERMAN_BUYER = Party(
    name="Dvořák & Łódź Konferenzdienste GmbH",
    street="Königsallee 1",
    postcode="40212",
    city="Düsseldorf",
    country="DE",
    vat_id="DE987654321",
    email="rechnungen@dvorak-lodz.example",
    contact="Antonín Dvořák",
)

FRENCH_BUYER = Party(
    name="Événements Lumière SAS",
    street="12 rue de l'Église",
    postcode="75004",
    city="Paris",
    country="FR",
    vat_id="FR40303265045",
    contact="Søren Øre",
)

SWISS_BUYER = Party(
    name="Zürcher Kongress AG",
    street="Bahnhofstrasse 10",
    postcode="8001",
    city="Zürich",
    country="CH",
    vat_id="CHE-123.456.789 MWST",
)

IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"

REVERSE_CHARGE_NOTE = (
    "Reverse charge: the recipient of the service is liable for the VAT "
    "(Article 196 of Council Directive 2006/112/EC)."
)
OUTSIDE_SCOPE_NOTE = "Not subject to German VAT: the place of supply is outside the EU."


def domestic_invoice() -> InvoiceDocument:
    """A German customer, 19 % VAT, a service period and bank details."""
    lines = (
        DocumentLine(
            description="Remote simultaneous interpretation, German-English",
            quantity=Decimal("12.5"),
            unit="HUR",
            unit_price=Decimal("95.00"),
            net=Decimal("1187.50"),
            vat_category=VatCategory.STANDARD,
            vat_rate=Decimal("19"),
        ),
        DocumentLine(
            description="Platform subscription, November 2026",
            quantity=Decimal("1"),
            unit="MON",
            unit_price=Decimal("490.00"),
            net=Decimal("490.00"),
            vat_category=VatCategory.STANDARD,
            vat_rate=Decimal("19"),
        ),
    )
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number="2026-0042",
        issued_on=date(2026, 12, 1),
        due_on=date(2026, 12, 15),
        currency="EUR",
        seller=SELLER,
        buyer=GERMAN_BUYER,
        lines=lines,
        vat=(
            VatBreakdown(
                category=VatCategory.STANDARD,
                rate=Decimal("19"),
                taxable=Decimal("1677.50"),
                tax=Decimal("318.73"),
            ),
        ),
        net_total=Decimal("1677.50"),
        vat_total=Decimal("318.73"),
        gross_total=Decimal("1996.23"),
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        seller_iban=IBAN,
        seller_bic=BIC,
        payment_terms="Payable within 14 days without deduction.",
    )


def reverse_charge_invoice() -> InvoiceDocument:
    """A French company: no German VAT, the buyer accounts for it (reverse charge)."""
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number="2026-0043",
        issued_on=date(2026, 12, 2),
        due_on=date(2026, 12, 16),
        currency="EUR",
        seller=SELLER,
        buyer=FRENCH_BUYER,
        lines=(
            DocumentLine(
                description="Remote simultaneous interpretation, French-German",
                quantity=Decimal("8"),
                unit="HUR",
                unit_price=Decimal("110.00"),
                net=Decimal("880.00"),
                vat_category=VatCategory.REVERSE_CHARGE,
                vat_rate=Decimal("0"),
            ),
        ),
        vat=(
            VatBreakdown(
                category=VatCategory.REVERSE_CHARGE,
                rate=Decimal("0"),
                taxable=Decimal("880.00"),
                tax=Decimal("0.00"),
                exemption_reason="Reverse charge",
            ),
        ),
        net_total=Decimal("880.00"),
        vat_total=Decimal("0.00"),
        gross_total=Decimal("880.00"),
        seller_iban=IBAN,
        seller_bic=BIC,
        notes=(REVERSE_CHARGE_NOTE,),
    )


def swiss_invoice() -> InvoiceDocument:
    """A customer outside the EU, in Swiss francs: not subject to EU VAT, partly paid."""
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number="2026-0044",
        issued_on=date(2026, 12, 3),
        due_on=date(2027, 1, 2),
        currency="CHF",
        seller=SELLER,
        buyer=SWISS_BUYER,
        lines=(
            DocumentLine(
                description="Interpreting booth days, Zürich congress",
                quantity=Decimal("2"),
                unit="DAY",
                unit_price=Decimal("1200.00"),
                net=Decimal("2400.00"),
                vat_category=VatCategory.OUTSIDE_SCOPE,
                vat_rate=Decimal("0"),
            ),
            DocumentLine(
                description="Listener streams",
                quantity=Decimal("1500"),
                unit="C62",
                unit_price=Decimal("0.0125"),
                net=Decimal("18.75"),
                vat_category=VatCategory.OUTSIDE_SCOPE,
                vat_rate=Decimal("0"),
            ),
        ),
        vat=(
            VatBreakdown(
                category=VatCategory.OUTSIDE_SCOPE,
                rate=Decimal("0"),
                taxable=Decimal("2418.75"),
                tax=Decimal("0.00"),
                exemption_reason="Place of supply outside the EU (§ 3a (2) UStG)",
            ),
        ),
        net_total=Decimal("2418.75"),
        vat_total=Decimal("0.00"),
        gross_total=Decimal("2418.75"),
        paid=Decimal("1000.00"),
        seller_iban=IBAN,
        seller_bic=BIC,
        payment_terms="Payable within 30 days.",
        notes=(OUTSIDE_SCOPE_NOTE,),
    )


def credit_note() -> InvoiceDocument:
    """Two hours of the domestic invoice taken back."""
    return InvoiceDocument(
        kind=DocumentKind.CREDIT_NOTE,
        number="2026-0051",
        issued_on=date(2026, 12, 10),
        due_on=None,
        currency="EUR",
        seller=SELLER,
        buyer=GERMAN_BUYER,
        lines=(
            DocumentLine(
                description="Remote simultaneous interpretation, German-English (not held)",
                quantity=Decimal("2"),
                unit="HUR",
                unit_price=Decimal("95.00"),
                net=Decimal("190.00"),
                vat_category=VatCategory.STANDARD,
                vat_rate=Decimal("19"),
            ),
        ),
        vat=(
            VatBreakdown(
                category=VatCategory.STANDARD,
                rate=Decimal("19"),
                taxable=Decimal("190.00"),
                tax=Decimal("36.10"),
            ),
        ),
        net_total=Decimal("190.00"),
        vat_total=Decimal("36.10"),
        gross_total=Decimal("226.10"),
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        preceding_number="2026-0042",
        preceding_issued_on=date(2026, 12, 1),
        seller_iban=IBAN,
        seller_bic=BIC,
        payment_terms="The amount will be refunded to your account within 14 days.",
    )


def all_documents() -> list[InvoiceDocument]:
    """One document of each kind."""
    return [domestic_invoice(), reverse_charge_invoice(), swiss_invoice(), credit_note()]
