"""Plans, contracts, invoices, their lines, payments and the invoice number series.

A plan is the operator's price list (what a month includes, what more costs). A contract
puts a customer on a plan from a start date, renewing or ending; its terms are commercial
data (P10: five years after the account closes). Invoices and credit notes, their lines
and the payments against them are the operator's accounting records: kept ten years from
issue because the law says so (P11), even when the person they name asks for erasure,
and the answer says so. A payment is known by its processor's reference only: no card or
bank account number is ever stored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interpreta.accounts.models import CONTRACT_DATA
from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.ties import Tie, tied
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type

BILLING_ADDRESS = Personal(
    category=Category.IDENTIFIERS,
    subject=Subject.CUSTOMER_CONTACT,
    purposes=(Purpose.BILLING,),
    basis=LegalBasis.CONTRACT,
    retention=rules.ACCOUNT_DATA,
    scope=Scope.CONTROLLER,
)
ACCOUNTING_RECORD = Personal(
    category=Category.FINANCIAL,
    subject=Subject.CUSTOMER_CONTACT,
    purposes=(Purpose.BILLING, Purpose.LEGAL_COMPLIANCE),
    basis=LegalBasis.LEGAL_OBLIGATION,
    retention=rules.INVOICES,
    scope=Scope.CONTROLLER,
)


class InvoiceKind(StrEnum):
    """An invoice, or a credit note correcting one (never an edit)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class VatTreatment(StrEnum):
    """How VAT applies to a document, from the seller's and the buyer's countries."""

    DOMESTIC = "domestic"
    """Buyer in the seller's country: the seller's rate."""
    EU_CONSUMER = "eu_consumer"
    """Buyer in another EU country without a VAT ID: that country's rate (OSS)."""
    REVERSE_CHARGE = "reverse_charge"
    """Business in another EU country: no VAT, the buyer accounts for it."""
    OUTSIDE_EU = "outside_eu"
    """Buyer outside the EU: outside the scope of EU VAT."""


class Plan(Base):
    """What a customer buys: a monthly fee, what it includes, what more costs, and the
    support it comes with."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    code: Mapped[str] = mapped_column(
        String(40), unique=True, info=not_personal("the plan's short name")
    )
    name: Mapped[str] = mapped_column(String(100), info=not_personal("the plan's name"))
    currency: Mapped[str] = mapped_column(String(3), info=not_personal("ISO 4217 currency"))
    monthly_fee: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), info=not_personal("price per month, net")
    )
    included_listener_hours: Mapped[int] = mapped_column(
        Integer, info=not_personal("listener hours a month includes")
    )
    included_interpreter_hours: Mapped[int] = mapped_column(
        Integer, info=not_personal("interpreter on-air hours a month includes")
    )
    included_languages: Mapped[int] = mapped_column(
        Integer, info=not_personal("languages an event may have")
    )
    included_storage_gb: Mapped[int] = mapped_column(
        Integer, info=not_personal("recording storage included, in GB")
    )
    listener_hour_price: Mapped[Decimal] = mapped_column(
        Numeric(12, 4), info=not_personal("price of a listener hour over the plan")
    )
    interpreter_hour_price: Mapped[Decimal] = mapped_column(
        Numeric(12, 4), info=not_personal("price of an interpreter hour over the plan")
    )
    storage_gb_price: Mapped[Decimal] = mapped_column(
        Numeric(12, 4), info=not_personal("price of a GB of storage a month over the plan")
    )
    first_response_hours: Mapped[int] = mapped_column(
        Integer, info=not_personal("support's first answer within, in business hours")
    )
    resolution_hours: Mapped[int] = mapped_column(
        Integer, info=not_personal("support's resolution within, in business hours")
    )
    active: Mapped[bool] = mapped_column(
        Boolean, default=True, info=not_personal("whether new contracts may use the plan")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the plan was created")
    )


class Contract(Base):
    """A customer on a plan: from its start, for a term that renews unless it is closed."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the customer whose contract it is", tie=Tie.OWNER),
    )
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id"),
        info=personal(
            CONTRACT_DATA,
            "purchased plan",
            purposes=(*CONTRACT_DATA.purposes, Purpose.SUPPORT),
        ),
    )
    starts_on: Mapped[date] = mapped_column(
        Date,
        info=personal(
            CONTRACT_DATA,
            "contract start date",
            purposes=(*CONTRACT_DATA.purposes, Purpose.SUPPORT),
        ),
    )
    term_months: Mapped[int] = mapped_column(
        Integer, info=personal(CONTRACT_DATA, "contract term, in months")
    )
    renews: Mapped[bool] = mapped_column(
        Boolean, info=personal(CONTRACT_DATA, "whether the contract renews for another term")
    )
    ends_on: Mapped[date | None] = mapped_column(
        Date,
        info=personal(
            CONTRACT_DATA,
            "contract end date, once it is closed",
            purposes=(*CONTRACT_DATA.purposes, Purpose.SUPPORT),
        ),
    )
    closure_reason: Mapped[str | None] = mapped_column(
        String(200),
        info=personal(CONTRACT_DATA, "why the contract was closed", free_text=True),
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the contract was closed")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the contract was recorded")
    )

    plan: Mapped[Plan] = relationship()


class BillingAddress(Base):
    """Where a customer's invoices are addressed, and its VAT ID (the billing contact's
    name and email address are on the organisation)."""

    __tablename__ = "billing_addresses"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        info=not_personal("the customer whose address it is", tie=Tie.OWNER),
    )
    street: Mapped[str] = mapped_column(
        String(200), info=personal(BILLING_ADDRESS, "billing address: street")
    )
    postcode: Mapped[str] = mapped_column(
        String(20), info=personal(BILLING_ADDRESS, "billing address: postcode")
    )
    city: Mapped[str] = mapped_column(
        String(100), info=personal(BILLING_ADDRESS, "billing address: city")
    )
    country: Mapped[str] = mapped_column(
        String(2), info=personal(BILLING_ADDRESS, "billing address: country")
    )
    vat_id: Mapped[str | None] = mapped_column(
        String(20), info=personal(BILLING_ADDRESS, "VAT identification number")
    )
    language: Mapped[str] = mapped_column(
        String(5), info=not_personal("the language invoices are written in")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the address was last changed")
    )


class InvoiceCounter(Base):
    """The last number issued in a year's series: one row a year, raised in the
    transaction that issues, so a number is used exactly when its document exists."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, info=not_personal("the series' year")
    )
    last: Mapped[int] = mapped_column(
        Integer, info=not_personal("the last number issued in the year")
    )


class Invoice(Base):
    """An issued invoice or credit note: what was sent, kept as it was sent."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("number"),)
    __anchors__ = Anchors({Anchor.ISSUE: lambda: Invoice.issued_at})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    number: Mapped[str] = mapped_column(
        String(20), info=not_personal("the document's number in its year's series")
    )
    kind: Mapped[InvoiceKind] = mapped_column(
        enum_type(InvoiceKind, 12), info=not_personal("invoice or credit note")
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"),
        index=True,
        info=not_personal("the customer billed", tie=Tie.ORGANISATION),
    )
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), info=not_personal("the invoice a credit note corrects")
    )
    issued_on: Mapped[date] = mapped_column(Date, info=personal(ACCOUNTING_RECORD, "issue date"))
    issued_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the document was issued")
    )
    due_on: Mapped[date | None] = mapped_column(
        Date, info=personal(ACCOUNTING_RECORD, "payment due date")
    )
    period_start: Mapped[date | None] = mapped_column(
        Date, info=personal(ACCOUNTING_RECORD, "first day of the service period")
    )
    period_end: Mapped[date | None] = mapped_column(
        Date, info=personal(ACCOUNTING_RECORD, "last day of the service period")
    )
    currency: Mapped[str] = mapped_column(String(3), info=not_personal("ISO 4217 currency"))
    buyer_name: Mapped[str] = mapped_column(
        String(200), info=personal(ACCOUNTING_RECORD, "customer name on the invoice")
    )
    buyer_contact: Mapped[str | None] = mapped_column(
        String(200), info=personal(ACCOUNTING_RECORD, "billing contact's name on the invoice")
    )
    buyer_email: Mapped[str | None] = mapped_column(
        String(320),
        info=personal(
            ACCOUNTING_RECORD,
            "billing contact's email address on the invoice",
            tie=tied(Tie.EMAIL, "buyer_contact", "buyer_email"),
        ),
    )
    buyer_street: Mapped[str] = mapped_column(
        String(200), info=personal(ACCOUNTING_RECORD, "billing address: street")
    )
    buyer_postcode: Mapped[str] = mapped_column(
        String(20), info=personal(ACCOUNTING_RECORD, "billing address: postcode")
    )
    buyer_city: Mapped[str] = mapped_column(
        String(100), info=personal(ACCOUNTING_RECORD, "billing address: city")
    )
    buyer_country: Mapped[str] = mapped_column(
        String(2), info=personal(ACCOUNTING_RECORD, "billing address: country")
    )
    buyer_vat_id: Mapped[str | None] = mapped_column(
        String(20), info=personal(ACCOUNTING_RECORD, "customer's VAT ID")
    )
    vat_treatment: Mapped[VatTreatment] = mapped_column(
        enum_type(VatTreatment, 16), info=not_personal("how VAT applies")
    )
    net_total: Mapped[Decimal] = mapped_column(
        Numeric(14, 2), info=personal(ACCOUNTING_RECORD, "net amount")
    )
    vat_total: Mapped[Decimal] = mapped_column(
        Numeric(14, 2), info=personal(ACCOUNTING_RECORD, "VAT amount")
    )
    gross_total: Mapped[Decimal] = mapped_column(
        Numeric(14, 2), info=personal(ACCOUNTING_RECORD, "amount with VAT")
    )
    language: Mapped[str] = mapped_column(
        String(5), info=not_personal("the language the document is written in")
    )
    pdf: Mapped[bytes] = mapped_column(
        LargeBinary,
        info=personal(ACCOUNTING_RECORD, "the invoice document (PDF with its e-invoice)"),
    )
    pdf_sha256: Mapped[str] = mapped_column(
        String(64), info=not_personal("SHA-256 of the document as issued")
    )

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="Payment.id", cascade="all, delete-orphan"
    )


class InvoiceLine(Base):
    """One line of an invoice or credit note."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the document the line is on", tie=Tie.OWNER),
    )
    position: Mapped[int] = mapped_column(Integer, info=not_personal("order on the document"))
    corrects_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice_lines.id"),
        info=not_personal("the invoice line a credit note's line corrects"),
    )
    description: Mapped[str] = mapped_column(
        String(300), info=personal(ACCOUNTING_RECORD, "service billed")
    )
    quantity: Mapped[Decimal] = mapped_column(
        Numeric(14, 3), info=personal(ACCOUNTING_RECORD, "quantity billed")
    )
    unit: Mapped[str] = mapped_column(String(3), info=not_personal("UN/ECE unit code"))
    unit_price: Mapped[Decimal] = mapped_column(
        Numeric(12, 4), info=personal(ACCOUNTING_RECORD, "unit price")
    )
    net: Mapped[Decimal] = mapped_column(
        Numeric(14, 2), info=personal(ACCOUNTING_RECORD, "line amount, net")
    )
    vat_rate: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), info=not_personal("VAT rate in percent")
    )

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(Base):
    """A payment received against an invoice, known by its processor's reference."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the invoice paid", tie=Tie.OWNER),
    )
    amount: Mapped[Decimal] = mapped_column(
        Numeric(14, 2), info=personal(ACCOUNTING_RECORD, "amount paid")
    )
    received_on: Mapped[date] = mapped_column(
        Date, info=personal(ACCOUNTING_RECORD, "date the payment was received")
    )
    processor: Mapped[str] = mapped_column(
        String(40), info=not_personal("the payment processor or bank that took the payment")
    )
    reference: Mapped[str] = mapped_column(
        String(100), info=personal(ACCOUNTING_RECORD, "the payment processor's reference")
    )
    recorded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the payment was recorded")
    )

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
