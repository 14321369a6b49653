"""Invoices and credit notes as issued: numbers, VAT, the PDF's text, the e-invoice
inside it, payments by reference, and bad input refused with nothing stored."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import event, func, select

from interpreta.billing import invoices
from interpreta.billing.einvoice import embedded_xml, factur_x_pdf
from interpreta.billing.invoices import LineInput
from interpreta.billing.models import Invoice, InvoiceCounter, InvoiceKind, Payment, VatTreatment
from interpreta.clock import FrozenClock
from interpreta.errors import Problem
from interpreta.platform import Platform
from tests.billing.conftest import CONTACT, Customer

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
HOURS = LineInput("Listener hours over the plan", Decimal("12.5"), "HUR", Decimal("0.40"))
INTERPRETING = LineInput("Interpreter hours over the plan", Decimal(3), "HUR", Decimal("45"))


def text_of(pdf: bytes) -> str:
    """The PDF's text, its lines joined by spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def xml_amount(xml: bytes, name: str) -> Decimal:
    """The first amount called `name` in the e-invoice."""
    found = etree.fromstring(xml).find(f".//{{{RAM}}}{name}")
    assert found is not None and found.text is not None, name
    return Decimal(found.text)


def test_an_invoice_is_numbered_totalled_and_rendered(
    platform: Platform, customer: Customer
) -> None:
    customer.address("DE")
    issued = customer.issued(customer.invoice(HOURS, INTERPRETING))
    assert issued.number == f"{platform.clock.now().year}-00001"
    assert issued.vat_treatment is VatTreatment.DOMESTIC
    assert [line.net for line in issued.lines] == [Decimal("5.00"), Decimal("135.00")]
    assert (issued.net_total, issued.vat_total, issued.gross_total) == (
        Decimal("140.00"),
        Decimal("26.60"),
        Decimal("166.60"),
    )
    assert issued.due_on == issued.issued_on + timedelta(days=platform.settings.payment_days)
    assert hashlib.sha256(issued.pdf).hexdigest() == issued.pdf_sha256

    text = text_of(issued.pdf)
    for shown in (issued.number, "Konferenzdolmetscher Köln GmbH", CONTACT, "DE123456789"):
        assert shown in text, shown
    for amount in ("140.00", "26.60", "166.60", "135.00"):
        assert amount in text, amount
    assert "Listener hours over the plan" in text and "19" in text

    xml = embedded_xml(issued.pdf)
    assert xml_amount(xml, "GrandTotalAmount") == Decimal("166.60")
    assert xml_amount(xml, "TaxBasisTotalAmount") == Decimal("140.00")
    root = etree.fromstring(xml)
    assert root.findtext(f".//{{{RAM}}}CategoryCode") == "S"


def test_an_invoice_renders_again_as_it_was_issued(platform: Platform, customer: Customer) -> None:
    customer.address("DE")
    invoice_id = customer.invoice()
    with platform.sessions() as db:
        issued = db.get(Invoice, invoice_id)
        assert issued is not None
        again = factur_x_pdf(invoices.document_of(db, platform.settings, issued))
        assert again == issued.pdf


def test_a_business_elsewhere_in_the_eu_is_reverse_charged(
    platform: Platform, customer: Customer
) -> None:
    customer.address("FR", vat_id="FR40303265045")
    issued = customer.issued(customer.invoice(INTERPRETING))
    assert issued.vat_treatment is VatTreatment.REVERSE_CHARGE
    assert (issued.vat_total, issued.gross_total) == (Decimal("0.00"), Decimal("135.00"))
    text = text_of(issued.pdf)
    assert "FR40303265045" in text and "Reverse charge" in text
    root = etree.fromstring(embedded_xml(issued.pdf))
    assert root.findtext(f".//{{{RAM}}}CategoryCode") == "AE"


def test_a_consumer_elsewhere_in_the_eu_and_a_buyer_outside_it(
    platform: Platform, customer: Customer
) -> None:
    customer.address("AT")
    austrian = customer.issued(customer.invoice(INTERPRETING))
    assert (austrian.vat_treatment, austrian.vat_total) == (
        VatTreatment.EU_CONSUMER,
        Decimal("27.00"),
    )
    customer.address("CH")
    swiss = customer.issued(customer.invoice(INTERPRETING))
    assert (swiss.vat_treatment, swiss.vat_total) == (VatTreatment.OUTSIDE_EU, Decimal("0.00"))
    assert "outside the European Union" in text_of(swiss.pdf)
    root = etree.fromstring(embedded_xml(swiss.pdf))
    assert root.findtext(f".//{{{RAM}}}CategoryCode") == "O"
    assert austrian.number.endswith("00001") and swiss.number.endswith("00002")


def test_an_issued_invoice_keeps_the_address_it_was_sent_to(
    platform: Platform, customer: Customer
) -> None:
    customer.address("DE")
    first = customer.invoice()
    customer.address("PL")
    assert customer.issued(first).buyer_city == "Köln"
    second = customer.issued(customer.invoice())
    assert second.buyer_city == "Łódź" and "Łódź" in text_of(second.pdf)


def test_a_credit_note_corrects_an_invoice_in_the_same_series(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    customer.address("DE")
    invoice_id = customer.invoice(HOURS, INTERPRETING)
    clock.advance(timedelta(days=3))
    with platform.transaction() as db:
        issued = db.get(Invoice, invoice_id)
        assert issued is not None
        second_line = issued.lines[1].id
        note = invoices.credit(
            db, platform.settings, issued, line_ids=[second_line], now=clock.now()
        )
        assert note.kind is InvoiceKind.CREDIT_NOTE and note.number.endswith("00002")
        assert (note.net_total, note.gross_total) == (Decimal("135.00"), Decimal("160.65"))
        assert invoices.outstanding(db, issued) == Decimal("166.60") - Decimal("160.65")
        note_id = note.id
    credit_note = customer.issued(note_id)
    text = text_of(credit_note.pdf)
    assert customer.issued(invoice_id).number in text
    xml = embedded_xml(credit_note.pdf)
    assert etree.fromstring(xml).findtext(f".//{{{RAM}}}IssuerAssignedID") is not None
    assert b"381" in xml

    with platform.transaction() as db:
        issued = db.get(Invoice, invoice_id)
        assert issued is not None
        with pytest.raises(Problem) as again:
            invoices.credit(db, platform.settings, issued, line_ids=[second_line], now=clock.now())
        assert again.value.status == 409
        with pytest.raises(Problem) as whole:
            invoices.credit(db, platform.settings, issued, now=clock.now())
        assert whole.value.status == 409
        rest = invoices.credit(
            db, platform.settings, issued, line_ids=[issued.lines[0].id], now=clock.now()
        )
        assert rest.net_total == Decimal("5.00") and rest.number.endswith("00003")
        assert invoices.outstanding(db, issued) == Decimal("0.00")
        assert invoices.status(db, issued, clock.now().date()) == "credited"


def test_a_payment_is_recorded_by_its_reference(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    customer.address("DE")
    invoice_id = customer.invoice()
    today = clock.now().date()
    with platform.transaction() as db:
        issued = db.get(Invoice, invoice_id)
        assert issued is not None
        assert invoices.status(db, issued, today) == "open"
        assert invoices.status(db, issued, today + timedelta(days=15)) == "overdue"
        invoices.record_payment(
            db,
            issued,
            amount=Decimal("583.10"),
            received_on=today,
            processor="Stripe",
            reference="pi_3QxYz2LkdIwHu7ix0v2S4aB1",
            now=clock.now(),
        )
        assert invoices.outstanding(db, issued) == Decimal("0.00")
        assert invoices.status(db, issued, today + timedelta(days=30)) == "paid"


@pytest.mark.parametrize(
    ("amount", "received", "reference", "field"),
    [
        (Decimal("0"), 0, "tr_1", "amount"),
        (Decimal("-5"), 0, "tr_1", "amount"),
        (Decimal("1.001"), 0, "tr_1", "amount"),
        (Decimal("583.11"), 0, "tr_1", "amount"),
        (Decimal("10"), 1, "tr_1", "received_on"),
        (Decimal("10"), -1, "tr_1", "received_on"),
        (Decimal("10"), 0, "4111 1111 1111 1111", "reference"),
        (Decimal("10"), 0, "card 4111-1111-1111-1111 ok", "reference"),
        (Decimal("10"), 0, "order 2024 4111 1111 1111 1111", "reference"),
        (Decimal("10"), 0, "1-4111111111111111", "reference"),
        (Decimal("10"), 0, "from DE89 3704 0044 0532 0130 00", "reference"),
        (Decimal("10"), 0, "   ", "reference"),
    ],
)
def test_a_bad_payment_is_refused(
    platform: Platform,
    customer: Customer,
    clock: FrozenClock,
    amount: Decimal,
    received: int,
    reference: str,
    field: str,
) -> None:
    customer.address("DE")
    invoice_id = customer.invoice()
    with platform.transaction() as db:
        issued = db.get(Invoice, invoice_id)
        assert issued is not None
        with pytest.raises(Problem) as refused:
            invoices.record_payment(
                db,
                issued,
                amount=amount,
                received_on=clock.now().date() + timedelta(days=received),
                processor="bank",
                reference=reference,
                now=clock.now(),
            )
        assert refused.value.status == 422
        assert [e.field for e in refused.value.errors] == [field]
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Payment)) == 0


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ((), "lines"),
        ((LineInput(" ", Decimal(1), "HUR", Decimal(1)),), "lines.0.description"),
        ((LineInput("Hours", Decimal(1), "XXX", Decimal(1)),), "lines.0.unit"),
        ((HOURS, LineInput("Hours", Decimal(0), "HUR", Decimal(1))), "lines.1"),
        ((LineInput("Hours", Decimal(1), "HUR", Decimal(-1)),), "lines.0"),
        ((LineInput("Hours", Decimal("NaN"), "HUR", Decimal(1)),), "lines.0"),
        ((LineInput("Hours", Decimal(1), "HUR", Decimal("Infinity")),), "lines.0"),
        ((LineInput("Hours", Decimal("1.0005"), "HUR", Decimal(1)),), "lines.0"),
        ((LineInput("Hours", Decimal(1), "HUR", Decimal("0.00001")),), "lines.0"),
        ((LineInput("Hours", Decimal(10**7), "HUR", Decimal(1)),), "lines.0"),
    ],
)
def test_bad_lines_are_refused_and_take_no_number(
    platform: Platform, customer: Customer, lines: tuple[LineInput, ...], field: str
) -> None:
    customer.address("DE")
    with pytest.raises(Problem) as refused, platform.transaction() as db:
        invoices.issue(
            db, platform.settings, customer.organisation(db), lines, now=platform.clock.now()
        )
    assert refused.value.status == 422
    assert [e.field for e in refused.value.errors] == [field]
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Invoice)) == 0
        assert db.scalar(select(func.count()).select_from(InvoiceCounter)) == 0


def test_a_customer_without_an_address_cannot_be_invoiced(
    platform: Platform, customer: Customer
) -> None:
    with pytest.raises(Problem) as refused:
        customer.invoice()
    assert refused.value.status == 409
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Invoice)) == 0


def test_a_period_must_not_end_before_it_starts(platform: Platform, customer: Customer) -> None:
    customer.address("DE")
    with pytest.raises(Problem) as refused, platform.transaction() as db:
        invoices.issue(
            db,
            platform.settings,
            customer.organisation(db),
            [HOURS],
            now=platform.clock.now(),
            period=(date(2026, 12, 31), date(2026, 12, 1)),
        )
    assert refused.value.errors[0].field == "period_end"


def test_credit_notes_for_every_line_add_up_to_the_invoice_to_the_cent(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    """Each line's VAT rounds on its own; the credit note for the last lines takes the
    VAT that is left, so nothing stays owed (two lines of 10.02: 3.81 VAT, not 1.90 x 2)."""
    customer.address("DE")
    item = LineInput("Storage over the plan", Decimal(1), "GBM", Decimal("10.02"))
    invoice_id = customer.invoice(item, item)
    with platform.transaction() as db:
        issued = db.get(Invoice, invoice_id)
        assert issued is not None and issued.vat_total == Decimal("3.81")
        first = invoices.credit(
            db, platform.settings, issued, line_ids=[issued.lines[0].id], now=clock.now()
        )
        last = invoices.credit(
            db, platform.settings, issued, line_ids=[issued.lines[1].id], now=clock.now()
        )
        assert (first.vat_total, last.vat_total) == (Decimal("1.90"), Decimal("1.91"))
        assert invoices.outstanding(db, issued) == Decimal("0.00")
        assert invoices.status(db, issued, clock.now().date() + timedelta(days=60)) == "credited"


def test_a_list_of_invoices_stands_as_each_invoice_alone_in_a_few_queries(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    customer.address("DE")
    open_id, part_paid_id, paid_id, credited_id, part_credited_id = (
        customer.invoice() for _ in range(5)
    )
    today = clock.now().date()
    with platform.transaction() as db:
        for invoice_id, amount in ((part_paid_id, "100.00"), (paid_id, "583.10")):
            paying = db.get_one(Invoice, invoice_id)
            invoices.record_payment(
                db,
                paying,
                amount=Decimal(amount),
                received_on=today,
                processor="Stripe",
                reference=f"pi_{invoice_id}",
                now=clock.now(),
            )
        invoices.credit(db, platform.settings, db.get_one(Invoice, credited_id), now=clock.now())
        invoices.record_payment(
            db,
            db.get_one(Invoice, part_credited_id),
            amount=Decimal("83.10"),
            received_on=today,
            processor="Stripe",
            reference="pi_rest",
            now=clock.now(),
        )
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    owed = {
        open_id: Decimal("583.10"),
        part_paid_id: Decimal("483.10"),
        paid_id: Decimal("0.00"),
        credited_id: Decimal("0.00"),
        part_credited_id: Decimal("500.00"),
    }
    late = today + timedelta(days=15)  # past the payment terms
    expected = {
        today: {open_id: "open", part_paid_id: "open", part_credited_id: "open"},
        late: {open_id: "overdue", part_paid_id: "overdue", part_credited_id: "overdue"},
    }
    for day, unpaid in expected.items():
        states = {**unpaid, paid_id: "paid", credited_id: "credited"}
        with platform.sessions() as db:
            listed = db.scalars(select(Invoice).order_by(Invoice.id)).all()
            alone = {i.id: invoices.outstanding(db, i) for i in listed if i.id in owed}
            event.listen(platform.engine, "before_cursor_execute", note)
            try:
                together = invoices.standings(db, listed, day)
            finally:
                event.remove(platform.engine, "before_cursor_execute", note)
        assert len(statements) == 2, statements
        statements.clear()
        assert alone == owed
        assert {i: (s.status, s.outstanding) for i, s in together.items() if i in owed} == {
            i: (states[i], owed[i]) for i in owed
        }
        assert [s.status for s in together.values() if s.outstanding is None] == ["credit_note"]
