"""Issuing invoices and credit notes, recording payments, and what is still owed.

An invoice is final once issued: its number, buyer, lines, totals and its PDF (with the
EN 16931 e-invoice inside) are stored together in one transaction and never changed. A
mistake is corrected by a credit note, itself a numbered document of the same series,
for the whole invoice or some of its lines. The buyer is taken from the organisation as
it is at issue (its billing contact and billing address), so a later change of address
leaves the issued documents as they were sent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import iban

from interpreta.accounts.models import Organisation
from interpreta.billing.document import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdown,
)
from interpreta.billing.einvoice import factur_x_pdf
from interpreta.billing.models import BillingAddress, Invoice, InvoiceKind, InvoiceLine, Payment
from interpreta.billing.numbering import next_number
from interpreta.billing.vat import Taxation, as_issued, taxation
from interpreta.config import Settings
from interpreta.datamap.activities import ACCOUNTING
from interpreta.errors import conflict, invalid
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import speaking
from interpreta.privacy.processing import runs_in

__all__ = [
    "CENT",
    "IN_BATCH",
    "LineInput",
    "Standing",
    "credit",
    "credited_lines",
    "document_of",
    "issue",
    "outstanding",
    "paid",
    "record_payment",
    "standings",
    "status",
]

CENT = Decimal("0.01")
QUANTITY = Decimal("0.001")
"""Quantities are kept to the thousandth (of an hour, a GB-month)."""
UNIT_PRICE = Decimal("0.0001")
"""Unit prices are kept to a hundredth of a cent."""
UNITS = ("HUR", "MON", "C62", "GBM")
"""Units a line may be counted in: hours, months, one (a piece), GB-months (storage)."""
_MAX_LINES = 200
_MAX_AMOUNT = Decimal(1_000_000)
"""The largest quantity and unit price a line takes (a typing error beyond)."""
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){12,}")
_IBAN_LIKE = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}")


@dataclass(frozen=True)
class LineInput:
    """A line to bill: what, how many, in which unit, at what net unit price."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal


def money(amount: Decimal) -> Decimal:
    """`amount` rounded to the cent, halves away from zero."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _checked_lines(lines: Sequence[LineInput]) -> list[LineInput]:
    if not lines:
        raise invalid("lines", gettext("An invoice needs at least one line."))
    if len(lines) > _MAX_LINES:
        raise invalid("lines", gettext("An invoice has at most 200 lines."))
    for n, line in enumerate(lines):
        field = f"lines.{n}"
        if not line.description.strip():
            raise invalid(f"{field}.description", gettext("Describe what is billed."))
        if line.unit not in UNITS:
            raise invalid(f"{field}.unit", gettext("Choose hours, months, pieces or GB-months."))
        try:
            finite = line.quantity.is_finite() and line.unit_price.is_finite()
        except InvalidOperation:
            finite = False
        if (
            not finite
            or not 0 < line.quantity <= _MAX_AMOUNT
            or not 0 <= line.unit_price <= _MAX_AMOUNT
        ):
            raise invalid(field, gettext("Quantity must be positive and the price not negative."))
        if line.quantity != line.quantity.quantize(QUANTITY) or line.unit_price != (
            line.unit_price.quantize(UNIT_PRICE)
        ):
            raise invalid(
                field,
                gettext("Quantities have at most 3 decimals and unit prices at most 4."),
            )
    return list(lines)


def _buyer(db: Session, organisation: Organisation) -> tuple[BillingAddress, Party]:
    address = db.get(BillingAddress, organisation.id)
    if address is None:
        raise conflict(gettext("The customer has no billing address yet."), "organisation")
    party = Party(
        name=organisation.name,
        street=address.street,
        postcode=address.postcode,
        city=address.city,
        country=address.country,
        vat_id=address.vat_id,
        email=organisation.billing_contact_email,
        contact=organisation.billing_contact_name,
    )
    return address, party


@runs_in(ACCOUNTING)
def issue(
    db: Session,
    settings: Settings,
    organisation: Organisation,
    lines: Sequence[LineInput],
    *,
    now: datetime,
    period: tuple[date, date] | None = None,
) -> Invoice:
    """Issue an invoice to `organisation` for `lines`, numbered and rendered, in `db`'s
    transaction.

    :raises Problem: 422 for a bad line or period, 409 when the customer has no billing
        address.
    """
    checked = _checked_lines(lines)
    if period is not None and period[1] < period[0]:
        raise invalid("period_end", gettext("The period cannot end before it starts."))
    address, buyer = _buyer(db, organisation)
    found = taxation(settings.seller.country, buyer.country, buyer.vat_id)
    taxed = as_issued(found.treatment, found.rate.quantize(CENT))  # as it will be stored
    today = now.date()
    invoice = Invoice(
        kind=InvoiceKind.INVOICE,
        organisation_id=organisation.id,
        issued_on=today,
        issued_at=now,
        due_on=today + timedelta(days=settings.payment_days),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        currency=settings.invoice_currency,
        language=address.language,
    )
    _fill(db, settings, invoice, buyer, taxed, checked)
    return invoice


@runs_in(ACCOUNTING)
def credit(
    db: Session,
    settings: Settings,
    invoice: Invoice,
    *,
    now: datetime,
    line_ids: Sequence[int] | None = None,
) -> Invoice:
    """Issue a credit note for `invoice`: all its lines, or those of `line_ids`.

    :raises Problem: 409 when the document is a credit note or a line was credited
        already; 422 for a line of another invoice.
    """
    if invoice.kind is not InvoiceKind.INVOICE:
        raise conflict(gettext("A credit note cannot be credited."))
    by_id = {line.id: line for line in invoice.lines}
    chosen = list(by_id) if line_ids is None else list(dict.fromkeys(line_ids))
    if not chosen or any(n not in by_id for n in chosen):
        raise invalid("line_ids", gettext("Choose lines of this invoice."))
    already = credited_lines(db, invoice)
    if set(chosen) & already:
        raise conflict(gettext("Those lines have been credited already."), "line_ids")
    lines = [by_id[n] for n in chosen]
    buyer = _party_of(invoice)
    taxed = _as_issued(invoice)
    last_vat = None
    if already | set(chosen) == set(by_id):  # the last lines: the VAT that is left
        earlier = db.scalar(
            select(func.coalesce(func.sum(Invoice.vat_total), 0)).where(
                Invoice.corrects_id == invoice.id
            )
        )
        last_vat = invoice.vat_total - Decimal(earlier or 0)
    today = now.date()
    note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        organisation_id=invoice.organisation_id,
        corrects_id=invoice.id,
        issued_on=today,
        issued_at=now,
        due_on=None,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        currency=invoice.currency,
        language=invoice.language,
    )
    inputs = [LineInput(x.description, x.quantity, x.unit, x.unit_price) for x in lines]
    _fill(db, settings, note, buyer, taxed, inputs, corrects=invoice, vat_total=last_vat)
    for corrected, line in zip(lines, note.lines, strict=True):
        line.corrects_line_id = corrected.id
    db.flush()
    return note


def _party_of(invoice: Invoice) -> Party:
    return Party(
        name=invoice.buyer_name,
        street=invoice.buyer_street,
        postcode=invoice.buyer_postcode,
        city=invoice.buyer_city,
        country=invoice.buyer_country,
        vat_id=invoice.buyer_vat_id,
        email=invoice.buyer_email,
        contact=invoice.buyer_contact,
    )


def _fill(
    db: Session,
    settings: Settings,
    invoice: Invoice,
    buyer: Party,
    taxed: Taxation,
    lines: Sequence[LineInput],
    corrects: Invoice | None = None,
    vat_total: Decimal | None = None,
) -> None:
    """Number, total, render and add `invoice` (whose header is set); `vat_total` is the
    VAT of a credit note for an invoice's last lines (what is left, so that credit notes
    add up to the invoice to the cent)."""
    invoice.buyer_name = buyer.name
    invoice.buyer_contact = buyer.contact
    invoice.buyer_email = buyer.email
    invoice.buyer_street = buyer.street
    invoice.buyer_postcode = buyer.postcode
    invoice.buyer_city = buyer.city
    invoice.buyer_country = buyer.country
    invoice.buyer_vat_id = buyer.vat_id
    invoice.vat_treatment = taxed.treatment
    invoice.lines = [
        InvoiceLine(
            position=n,
            description=line.description.strip(),
            quantity=line.quantity.quantize(QUANTITY),
            unit=line.unit,
            unit_price=line.unit_price.quantize(UNIT_PRICE),
            net=money(line.quantity * line.unit_price),
            vat_rate=taxed.rate.quantize(CENT),
        )
        for n, line in enumerate(lines, start=1)
    ]
    invoice.net_total = sum((line.net for line in invoice.lines), Decimal("0.00"))
    invoice.vat_total = (
        money(invoice.net_total * taxed.rate / 100) if vat_total is None else vat_total
    )
    invoice.gross_total = invoice.net_total + invoice.vat_total
    invoice.number = next_number(db, invoice.issued_on.year)
    invoice.pdf = factur_x_pdf(_document(settings, invoice, taxed, corrects))
    invoice.pdf_sha256 = hashlib.sha256(invoice.pdf).hexdigest()
    db.add(invoice)
    db.flush()


def _document(
    settings: Settings, invoice: Invoice, taxed: Taxation, corrects: Invoice | None
) -> InvoiceDocument:
    seller = settings.seller
    with speaking(invoice.language):
        notes = () if taxed.note is None else (gettext(taxed.note),)
        if corrects is not None:
            terms = gettext(
                "Credited against invoice %(number)s: set off against what is owed, or refunded.",
                number=corrects.number,
            )
        else:
            terms = gettext("Payable within %(days)s days.", days=settings.payment_days)
    return InvoiceDocument(
        kind=DocumentKind.INVOICE
        if invoice.kind is InvoiceKind.INVOICE
        else DocumentKind.CREDIT_NOTE,
        number=invoice.number,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        currency=invoice.currency,
        seller=Party(
            name=seller.name,
            street=seller.street,
            postcode=seller.postcode,
            city=seller.city,
            country=seller.country,
            vat_id=seller.vat_id,
            legal_id=seller.registration,
            email=seller.email,
        ),
        buyer=_party_of(invoice),
        lines=tuple(
            DocumentLine(
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                net=line.net,
                vat_category=taxed.category,
                vat_rate=line.vat_rate,
            )
            for line in invoice.lines
        ),
        vat=(
            VatBreakdown(
                category=taxed.category,
                rate=taxed.rate,
                taxable=invoice.net_total,
                tax=invoice.vat_total,
                exemption_reason=taxed.exemption_reason,
            ),
        ),
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        gross_total=invoice.gross_total,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        preceding_number=None if corrects is None else corrects.number,
        preceding_issued_on=None if corrects is None else corrects.issued_on,
        seller_iban=seller.iban,
        seller_bic=seller.bic,
        payment_terms=terms,
        notes=notes,
        language=invoice.language,
    )


@runs_in(ACCOUNTING)
def document_of(db: Session, settings: Settings, invoice: Invoice) -> InvoiceDocument:
    """The document `invoice` was issued as (to render it again and compare)."""
    corrects = None if invoice.corrects_id is None else db.get(Invoice, invoice.corrects_id)
    return _document(settings, invoice, _as_issued(invoice), corrects)


def _as_issued(invoice: Invoice) -> Taxation:
    rate = invoice.lines[0].vat_rate if invoice.lines else Decimal("0")
    return as_issued(invoice.vat_treatment, rate)


@runs_in(ACCOUNTING)
def paid(invoice: Invoice) -> Decimal:
    """What has been paid against `invoice`."""
    return sum((p.amount for p in invoice.payments), Decimal("0.00"))


@runs_in(ACCOUNTING)
def credited_lines(db: Session, invoice: Invoice) -> set[int]:
    """The lines of `invoice` that a credit note has corrected."""
    corrected = db.scalars(
        select(InvoiceLine.corrects_line_id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.corrects_id == invoice.id)
    )
    return {n for n in corrected if n is not None}


@runs_in(ACCOUNTING)
def outstanding(db: Session, invoice: Invoice) -> Decimal:
    """What is still owed on `invoice`: its gross total less payments and credit notes
    (with their VAT)."""
    credit_notes = db.scalar(
        select(func.coalesce(func.sum(Invoice.gross_total), 0)).where(
            Invoice.corrects_id == invoice.id
        )
    )
    return invoice.gross_total - paid(invoice) - Decimal(credit_notes or 0)


@dataclass(frozen=True)
class Standing:
    """Where an invoice stands today: its status (``credit_note``, ``paid``,
    ``credited``, ``overdue`` or ``open``) and what is still owed on it (None for a
    credit note)."""

    status: str
    outstanding: Decimal | None


def _standing(invoice: Invoice, paid: Decimal, credited: Decimal, today: date) -> Standing:
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        return Standing("credit_note", None)
    left = invoice.gross_total - paid - credited
    if left <= 0:
        return Standing("credited" if paid == 0 else "paid", left)
    if invoice.due_on is not None and today > invoice.due_on:
        return Standing("overdue", left)
    return Standing("open", left)


@runs_in(ACCOUNTING)
def status(db: Session, invoice: Invoice, today: date) -> str:
    """``credit_note``, ``paid``, ``credited``, ``overdue`` or ``open``."""
    return standings(db, [invoice], today)[invoice.id].status


IN_BATCH = 500
"""How many invoices one query about their payments or credit notes names (SQLite caps
a statement's parameters)."""


@runs_in(ACCOUNTING)
def standings(db: Session, listed: Sequence[Invoice], today: date) -> dict[int, Standing]:
    """Where each invoice of `listed` stands today, by its ID: the payments and credit
    notes of a whole list are summed in two queries per 500 invoices, not per invoice."""
    ids = [invoice.id for invoice in listed if invoice.kind is InvoiceKind.INVOICE]
    paid_on: dict[int, Decimal] = {}
    credited_on: dict[int, Decimal] = {}
    for start in range(0, len(ids), IN_BATCH):
        batch = ids[start : start + IN_BATCH]
        paid_on.update(
            db.execute(
                select(Payment.invoice_id, func.sum(Payment.amount))
                .where(Payment.invoice_id.in_(batch))
                .group_by(Payment.invoice_id)
            ).all()
        )
        credited_on.update(
            (corrected, total)
            for corrected, total in db.execute(
                select(Invoice.corrects_id, func.sum(Invoice.gross_total))
                .where(Invoice.corrects_id.in_(batch))
                .group_by(Invoice.corrects_id)
            ).all()
            if corrected is not None
        )
    zero = Decimal("0.00")
    return {
        invoice.id: _standing(
            invoice,
            money(Decimal(paid_on.get(invoice.id, zero))),
            money(Decimal(credited_on.get(invoice.id, zero))),
            today,
        )
        for invoice in listed
    }


@runs_in(ACCOUNTING)
def record_payment(
    db: Session,
    invoice: Invoice,
    *,
    amount: Decimal,
    received_on: date,
    processor: str,
    reference: str,
    now: datetime,
) -> Payment:
    """Record a payment against `invoice` by its processor's reference.

    :raises Problem: 422 for an amount that is not positive, more than is owed, a date
        before the invoice or in the future, or a reference that looks like a card
        number (never stored); 409 for a credit note.
    """
    if invoice.kind is not InvoiceKind.INVOICE:
        raise conflict(gettext("Payments are recorded against invoices, not credit notes."))
    if not amount.is_finite() or amount <= 0 or money(amount) != amount:
        raise invalid("amount", gettext("Enter a positive amount in cents at most."))
    if amount > outstanding(db, invoice):
        raise invalid("amount", gettext("That is more than is owed on the invoice."))
    if received_on < invoice.issued_on or received_on > now.date():
        raise invalid("received_on", gettext("The payment date must be between issue and today."))
    clean = reference.strip()
    if _holds_an_account_number(processor):
        raise invalid(
            "processor",
            gettext("Enter the payment processor's reference, never a card or account number."),
        )
    if not clean or _holds_an_account_number(clean):
        raise invalid(
            "reference",
            gettext("Enter the payment processor's reference, never a card or account number."),
        )
    payment = Payment(
        invoice=invoice,
        amount=amount,
        received_on=received_on,
        processor=processor.strip(),
        reference=clean,
        recorded_at=now,
    )
    db.add(payment)
    db.flush()
    return payment


def _holds_an_account_number(text: str) -> bool:
    """Whether `text` contains what looks like a card number (13 to 19 digits, a card
    network's first digit, passing the Luhn check) or an IBAN: references must never
    carry either."""
    for found in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", found.group())
        for start in range(len(digits) - 12):
            for length in range(13, min(19, len(digits) - start) + 1):
                window = digits[start : start + length]
                if window[0] in "23456" and _luhn(window):  # card networks' first digits
                    return True
    for found in _IBAN_LIKE.finditer(text.upper()):
        compact = found.group().replace(" ", "")
        if any(iban.is_valid(compact[:n]) for n in range(15, min(len(compact), 34) + 1)):
            return True
    return False


def _luhn(digits: str) -> bool:
    """Whether `digits` pass the Luhn check (card numbers do)."""
    total = 0
    for n, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if n % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
