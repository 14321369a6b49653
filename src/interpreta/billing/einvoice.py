"""The invoice or credit note as an EN 16931 e-invoice: Factur-X (ZUGFeRD 2) XML, alone or
inside the PDF.

:func:`cii_xml` writes the UN/CEFACT Cross Industry Invoice in the Factur-X EN 16931
profile. It first checks the document against the rules of EN 16931 that the XML schema
cannot see (:func:`broken_rules`: codes, sums, VAT categories), then the XML against the
schema (:func:`check_xml`), so an e-invoice that would be refused is never written.
:func:`factur_x_pdf` embeds that XML in the PDF of :func:`~interpreta.billing.pdf.render_pdf`
as a Factur-X (PDF/A-3) invoice; :func:`embedded_xml` reads it back out.

A credit note (type code 381) carries positive amounts, as CII wants them: the type code
says which way the money goes.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import tempfile
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import facturx
from babel.numbers import is_currency
from lxml import etree
from lxml.builder import ElementMaker
from PIL import ImageCms
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from interpreta.billing.document import (
    COUNTRIES,
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdown,
    VatCategory,
)
from interpreta.billing.pdf import render_pdf
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import speaking

__all__ = [
    "GUIDELINE",
    "InvalidEInvoice",
    "broken_rules",
    "check_xml",
    "cii_xml",
    "embedded_xml",
    "factur_x_pdf",
]

GUIDELINE = "urn:cen.eu:en16931:2017"
"""The specification identifier (BT-24) of the Factur-X EN 16931 profile."""

_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_NSMAP = {"rsm": _RSM, "ram": _RAM, "udt": _UDT, "qdt": _QDT}

_rsm = ElementMaker(namespace=_RSM, nsmap=_NSMAP)
_ram = ElementMaker(namespace=_RAM, nsmap=_NSMAP)
_udt = ElementMaker(namespace=_UDT, nsmap=_NSMAP)
_qdt = ElementMaker(namespace=_QDT, nsmap=_NSMAP)

_CENT = Decimal("0.01")
_XMP_DATES = re.compile(rb"(<xmp:(?:Create|Modify)Date>)[^<]*(</xmp:(?:Create|Modify)Date>)")
"""The dates factur-x writes into the XMP metadata: when the PDF was written."""
_EXEMPTION_CODES = {
    VatCategory.REVERSE_CHARGE: "VATEX-EU-AE",
    VatCategory.OUTSIDE_SCOPE: "VATEX-EU-O",
}
"""The categories that charge no VAT, with the VATEX code (BT-121) that says why, for
machines, what the exemption reason (BT-120) says to people."""


class InvalidEInvoice(ValueError):
    """The document cannot be written as a valid EN 16931 e-invoice."""


def cii_xml(document: InvoiceDocument) -> bytes:
    """The document as Factur-X EN 16931 CII XML (UTF-8), checked against the rules of
    EN 16931 this module knows and against the Factur-X schema.

    Raises :class:`InvalidEInvoice` when the document breaks a rule or the XML does not
    validate.
    """
    broken = broken_rules(document)
    if broken:
        raise InvalidEInvoice("; ".join(broken))
    try:
        tree = _invoice(document)
    except ValueError as error:  # lxml refuses text with control characters
        raise InvalidEInvoice(f"the document's text cannot be written as XML: {error}") from error
    xml: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    check_xml(xml)
    return xml


def check_xml(xml: bytes) -> None:
    """Raise :class:`InvalidEInvoice` unless `xml` is valid against the Factur-X EN 16931
    XML schema shipped with the ``factur-x`` package."""
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    # factur-x raises a bare Exception for a document that does not parse or validate.
    except Exception as error:
        raise InvalidEInvoice(str(error)) from error


def factur_x_pdf(document: InvoiceDocument) -> bytes:
    """The document's PDF with its e-invoice embedded: a Factur-X EN 16931 invoice
    (PDF/A-3 with ``factur-x.xml`` attached), which people read and machines import.

    Like :func:`~interpreta.billing.pdf.render_pdf`, the same document gives the same
    bytes, dated its issue date. Raises :class:`InvalidEInvoice` as :func:`cii_xml` does.
    """
    xml = cii_xml(document)
    with speaking(document.language):
        metadata = _pdf_metadata(document)
    # generate_from_binary would return the input's first bytes before the new PDF
    # (factur-x 7.8 writes where pypdf 7 left the file's position): write to a file.
    with tempfile.TemporaryDirectory(prefix="interpreta-factur-x-") as folder:
        output = Path(folder) / "factur-x.pdf"
        facturx.generate_from_file(
            io.BytesIO(render_pdf(document)),
            xml,
            flavor="factur-x",
            level="en16931",
            # cii_xml has checked the XML against this same schema, raising a typed error.
            check_xsd=False,
            pdf_metadata=metadata,
            lang=document.language,
            output_pdf_file=str(output),
        )
        return _pdf_a(output.read_bytes(), document.issued_on)


def embedded_xml(pdf: bytes) -> bytes:
    """The Factur-X XML embedded in a PDF, as it was written.

    Raises :class:`InvalidEInvoice` when the PDF has no ``factur-x.xml`` that validates.
    """
    _name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    if not xml:
        raise InvalidEInvoice("the PDF has no valid Factur-X XML")
    return bytes(xml)


def broken_rules(document: InvoiceDocument) -> tuple[str, ...]:
    """The EN 16931 business rules the document breaks, each as "BR-…: what is wrong";
    empty when it can be written.

    These are the rules the data of an :class:`InvoiceDocument` can break and the XML
    schema does not check (the codes, the sums, the VAT categories); the full set is
    EN 16931's Schematron.
    """
    amounts = _amounts(document)
    if not all(value.is_finite() for value in amounts.values()):
        return ("BR-DEC: an amount, quantity, price or rate is not a finite number",)
    return (
        *_header_rules(document),
        *_decimal_rules(amounts),
        *_total_rules(document),
        *_vat_rules(document),
    )


def _amounts(document: InvoiceDocument) -> dict[str, Decimal]:
    """Every number of the document, by where it is; those named "amount" are money."""
    values = {
        "net total (BT-106) amount": document.net_total,
        "VAT total (BT-110) amount": document.vat_total,
        "gross total (BT-112) amount": document.gross_total,
        "paid (BT-113) amount": document.paid,
    }
    for number, line in enumerate(document.lines, start=1):
        values[f"line {number} net (BT-131) amount"] = line.net
        values[f"line {number} quantity (BT-129)"] = line.quantity
        values[f"line {number} unit price (BT-146)"] = line.unit_price
        values[f"line {number} VAT rate (BT-152)"] = line.vat_rate
    for row in document.vat:
        name = f"VAT breakdown {row.category.value} {row.rate}"
        values[f"{name} taxable (BT-116) amount"] = row.taxable
        values[f"{name} tax (BT-117) amount"] = row.tax
        values[f"{name} rate (BT-119)"] = row.rate
    return values


def _header_rules(document: InvoiceDocument) -> list[str]:
    broken = []
    if not document.number.strip():
        broken.append("BR-02: the document has no number (BT-1)")
    if not (len(document.currency) == 3 and document.currency.isupper()) or not is_currency(
        document.currency
    ):
        broken.append(f"BR-05: {document.currency!r} is not an ISO 4217 currency code (BT-5)")
    for rule, role, party in (
        ("BR-06/BR-09", "seller", document.seller),
        ("BR-07/BR-11", "buyer", document.buyer),
    ):
        if not party.name.strip():
            broken.append(f"{rule}: the {role} has no name")
        if not _is_country(party.country):
            broken.append(f"{rule}: {party.country!r} is not an ISO 3166-1 country code")
    if not document.lines:
        broken.append("BR-16: the document has no lines")
    for number, line in enumerate(document.lines, start=1):
        if not line.description.strip():
            broken.append(f"BR-25: line {number} has no description (BT-153)")
        if line.unit_price < 0:
            broken.append(f"BR-27: line {number} has a negative unit price (BT-146)")
        if not line.unit.strip():
            broken.append(f"BR-23: line {number} has no unit (BT-130)")
    if (
        document.period_start is not None
        and document.period_end is not None
        and document.period_end < document.period_start
    ):
        broken.append("BR-29: the service period ends before it starts (BG-14)")
    if document.amount_due > 0 and document.due_on is None and not document.payment_terms:
        broken.append("BR-CO-25: an amount is due but neither a due date nor terms are given")
    return broken


def _decimal_rules(amounts: dict[str, Decimal]) -> list[str]:
    return [
        f"BR-DEC: the {name} has more than two decimals"
        for name, value in amounts.items()
        if name.endswith("amount") and value != value.quantize(_CENT)
    ]


def _total_rules(document: InvoiceDocument) -> list[str]:
    broken = []
    if document.net_total != sum((line.net for line in document.lines), Decimal(0)):
        broken.append("BR-CO-10: the net total (BT-106) is not the sum of the lines' net")
    if document.vat_total != sum((row.tax for row in document.vat), Decimal(0)):
        broken.append("BR-CO-14: the VAT total (BT-110) is not the sum of the VAT breakdown")
    if document.gross_total != document.net_total + document.vat_total:
        broken.append("BR-CO-15: the gross total (BT-112) is not net total plus VAT total")
    return broken


def _vat_rules(document: InvoiceDocument) -> list[str]:
    broken = []
    if not document.vat:
        broken.append("BR-CO-18: the document has no VAT breakdown (BG-23)")
    lines: defaultdict[tuple[VatCategory, Decimal], Decimal] = defaultdict(Decimal)
    for line in document.lines:
        lines[line.vat_category, line.vat_rate] += line.net
    rows = {(row.category, row.rate): row for row in document.vat}
    if len(rows) != len(document.vat):
        broken.append("BR-CO-18: the VAT breakdown has a category and rate twice")
    for category, rate in lines.keys() - rows.keys():
        broken.append(f"BR-{category.value}-08: no VAT breakdown for the lines at {rate} %")
    for key, row in rows.items():
        if row.taxable != lines.get(key, Decimal(0)):
            broken.append(
                f"BR-{row.category.value}-08: the taxable amount at {row.rate} % is not "
                "the sum of its lines' net"
            )
        broken += _category_rules(row)
    categories = {line.vat_category for line in document.lines} | {
        row.category for row in document.vat
    }
    if VatCategory.OUTSIDE_SCOPE in categories and len(categories) > 1:
        broken.append("BR-O-11: VAT categories besides 'not subject to VAT'")
    if VatCategory.REVERSE_CHARGE in categories and not (
        document.seller.vat_id and document.buyer.vat_id
    ):
        broken.append("BR-AE-02: reverse charge without the seller's and the buyer's VAT ID")
    if VatCategory.STANDARD in categories and not document.seller.vat_id:
        broken.append("BR-S-02: standard rated VAT without the seller's VAT ID (BT-31)")
    return broken


def _category_rules(row: VatBreakdown) -> list[str]:
    """What a VAT breakdown row breaks of the rules of its own category."""
    code = row.category.value
    broken = []
    if row.category is VatCategory.STANDARD:
        if row.rate <= 0:
            broken.append("BR-S-05: standard rated VAT at a rate of 0")
        # EN 16931 lets the VAT differ from taxable amount x rate by less than a cent.
        if abs(row.tax - row.taxable * row.rate / 100) >= _CENT:
            broken.append(f"BR-S-09: the VAT at {row.rate} % is not the taxable amount x rate")
        if row.exemption_reason:
            broken.append("BR-S-10: standard rated VAT with an exemption reason")
        return broken
    if row.rate != 0:
        broken.append(f"BR-{code}-06: VAT category {code} at a rate other than 0")
    if row.tax != 0:
        broken.append(f"BR-{code}-09: VAT category {code} charging VAT")
    if not row.exemption_reason:
        broken.append(f"BR-{code}-10: VAT category {code} without an exemption reason (BT-120)")
    return broken


def _is_country(code: str) -> bool:
    return code in COUNTRIES


def _invoice(document: InvoiceDocument) -> Any:
    return _rsm.CrossIndustryInvoice(
        _rsm.ExchangedDocumentContext(
            _ram.GuidelineSpecifiedDocumentContextParameter(_ram.ID(GUIDELINE))
        ),
        _rsm.ExchangedDocument(
            _ram.ID(document.number),
            _ram.TypeCode(document.kind.value),
            _ram.IssueDateTime(_date(_udt, document.issued_on)),
            *(_ram.IncludedNote(_ram.Content(note)) for note in document.notes),
        ),
        _rsm.SupplyChainTradeTransaction(
            *(_line(number, line) for number, line in enumerate(document.lines, start=1)),
            _agreement(document),
            _ram.ApplicableHeaderTradeDelivery(),
            _settlement(document),
        ),
    )


def _line(number: int, line: DocumentLine) -> Any:
    return _ram.IncludedSupplyChainTradeLineItem(
        _ram.AssociatedDocumentLineDocument(_ram.LineID(str(number))),
        _ram.SpecifiedTradeProduct(_ram.Name(line.description)),
        _ram.SpecifiedLineTradeAgreement(
            _ram.NetPriceProductTradePrice(_ram.ChargeAmount(_decimal(line.unit_price)))
        ),
        _ram.SpecifiedLineTradeDelivery(
            _ram.BilledQuantity(_decimal(line.quantity), unitCode=line.unit)
        ),
        _ram.SpecifiedLineTradeSettlement(
            _ram.ApplicableTradeTax(
                _ram.TypeCode("VAT"),
                _ram.CategoryCode(line.vat_category.value),
                *_rate(line.vat_category, line.vat_rate),
            ),
            _ram.SpecifiedTradeSettlementLineMonetarySummation(
                _ram.LineTotalAmount(_amount(line.net))
            ),
        ),
    )


def _agreement(document: InvoiceDocument) -> Any:
    # EN 16931 forbids VAT IDs on a document not subject to VAT (BR-O-02).
    vat_ids = all(row.category is not VatCategory.OUTSIDE_SCOPE for row in document.vat)
    return _ram.ApplicableHeaderTradeAgreement(
        _party("SellerTradeParty", document.seller, vat_ids),
        _party("BuyerTradeParty", document.buyer, vat_ids),
    )


def _party(tag: str, party: Party, vat_id: bool) -> Any:
    children = [_ram.Name(party.name)]
    if party.legal_id:
        children.append(_ram.SpecifiedLegalOrganization(_ram.ID(party.legal_id)))
    if party.contact:
        children.append(_ram.DefinedTradeContact(_ram.PersonName(party.contact)))
    children.append(
        _ram.PostalTradeAddress(
            _ram.PostcodeCode(party.postcode),
            _ram.LineOne(party.street),
            _ram.CityName(party.city),
            _ram.CountryID(party.country),
        )
    )
    if party.email:
        children.append(_ram.URIUniversalCommunication(_ram.URIID(party.email, schemeID="EM")))
    if vat_id and party.vat_id:
        children.append(_ram.SpecifiedTaxRegistration(_ram.ID(party.vat_id, schemeID="VA")))
    return getattr(_ram, tag)(*children)


def _settlement(document: InvoiceDocument) -> Any:
    children = []
    if document.kind is DocumentKind.INVOICE and document.seller_iban:
        children.append(_ram.PaymentReference(document.number))
    children += [_ram.InvoiceCurrencyCode(document.currency), _payment_means(document)]
    children += [_vat_breakdown(row) for row in document.vat]
    if document.period_start is not None or document.period_end is not None:
        period = []
        if document.period_start is not None:
            period.append(_ram.StartDateTime(_date(_udt, document.period_start)))
        if document.period_end is not None:
            period.append(_ram.EndDateTime(_date(_udt, document.period_end)))
        children.append(_ram.BillingSpecifiedPeriod(*period))
    terms = []
    if document.payment_terms:
        terms.append(_ram.Description(document.payment_terms))
    if document.due_on is not None:
        terms.append(_ram.DueDateDateTime(_date(_udt, document.due_on)))
    if terms:
        children.append(_ram.SpecifiedTradePaymentTerms(*terms))
    children.append(_totals(document))
    if document.preceding_number:
        reference = [_ram.IssuerAssignedID(document.preceding_number)]
        if document.preceding_issued_on is not None:
            reference.append(_ram.FormattedIssueDateTime(_date(_qdt, document.preceding_issued_on)))
        children.append(_ram.InvoiceReferencedDocument(*reference))
    return _ram.ApplicableHeaderTradeSettlement(*children)


def _payment_means(document: InvoiceDocument) -> Any:
    """SEPA credit transfer to the seller's IBAN (58); else "not defined" (1), as for a
    credit note, whose money goes to the buyer's account, which the document lacks."""
    if document.kind is DocumentKind.INVOICE and document.seller_iban:
        account = [
            _ram.PayeePartyCreditorFinancialAccount(
                _ram.IBANID(document.seller_iban.replace(" ", "").upper())
            )
        ]
        if document.seller_bic:
            account.append(
                _ram.PayeeSpecifiedCreditorFinancialInstitution(_ram.BICID(document.seller_bic))
            )
        return _ram.SpecifiedTradeSettlementPaymentMeans(_ram.TypeCode("58"), *account)
    return _ram.SpecifiedTradeSettlementPaymentMeans(_ram.TypeCode("1"))


def _vat_breakdown(row: VatBreakdown) -> Any:
    category = row.category
    children = [_ram.CalculatedAmount(_amount(row.tax)), _ram.TypeCode("VAT")]
    if category in _EXEMPTION_CODES and row.exemption_reason:
        children.append(_ram.ExemptionReason(row.exemption_reason))
    children += [_ram.BasisAmount(_amount(row.taxable)), _ram.CategoryCode(category.value)]
    if category in _EXEMPTION_CODES:
        children.append(_ram.ExemptionReasonCode(_EXEMPTION_CODES[category]))
    children += _rate(category, row.rate)
    return _ram.ApplicableTradeTax(*children)


def _totals(document: InvoiceDocument) -> Any:
    return _ram.SpecifiedTradeSettlementHeaderMonetarySummation(
        _ram.LineTotalAmount(_amount(document.net_total)),
        _ram.TaxBasisTotalAmount(_amount(document.net_total)),
        _ram.TaxTotalAmount(_amount(document.vat_total), currencyID=document.currency),
        _ram.GrandTotalAmount(_amount(document.gross_total)),
        _ram.TotalPrepaidAmount(_amount(document.paid)),
        _ram.DuePayableAmount(_amount(document.amount_due)),
    )


def _rate(category: VatCategory, rate: Decimal) -> list[Any]:
    """The VAT rate's element; none for a supply outside the scope of VAT (BR-O-05)."""
    if category is VatCategory.OUTSIDE_SCOPE:
        return []
    return [_ram.RateApplicablePercent(_decimal(rate))]


def _date(maker: ElementMaker, day: date) -> Any:
    return maker.DateTimeString(day.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal) -> str:
    return _decimal(value.quantize(_CENT))


def _decimal(value: Decimal) -> str:
    """`value` as xs:decimal writes it: never in exponent notation."""
    return format(value, "f")


def _pdf_metadata(document: InvoiceDocument) -> dict[str, str]:
    """The PDF's title, author and subject, which factur-x writes to its XMP metadata."""
    if document.kind is DocumentKind.CREDIT_NOTE:
        kind = gettext("Credit note")
    else:
        kind = gettext("Invoice")
    return {
        "author": document.seller.name,
        "keywords": f"{kind}, Factur-X",
        "title": f"{document.seller.name}: {kind} {document.number}",
        "subject": f"{kind} {document.number} \u2013 {document.buyer.name}",
    }


def _pdf_a(pdf: bytes, issued_on: date) -> bytes:
    """factur-x's PDF with what PDF/A-3 asks that factur-x does not add (the output intent
    of a document drawn in sRGB; document information that agrees with the XMP metadata),
    and dated `issued_on` where factur-x wrote the time of writing."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf), keep_initial_header=True)
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([_output_intent(writer)])
    stamp = issued_on.strftime("D:%Y%m%d000000+00'00'")
    # factur-x's XMP names pypdf, which writes the file, as its producer, and has no
    # trapping entry.
    info = {key: value for key, value in (writer.metadata or {}).items() if key != "/Trapped"}
    writer.metadata = {**info, "/Producer": "pypdf", "/CreationDate": stamp, "/ModDate": stamp}
    root: Any = writer.root_object  # pypdf types what it reads as any PDF object
    xmp = root["/Metadata"].get_object()
    moment = issued_on.strftime("%Y-%m-%dT00:00:00+00:00").encode()
    xmp.set_data(_XMP_DATES.sub(rb"\g<1>" + moment + rb"\g<2>", xmp.get_data()))
    for filespec in root["/AF"]:
        embedded = filespec.get_object()["/EF"]["/F"].get_object()
        embedded["/Params"][NameObject("/ModDate")] = TextStringObject(stamp)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _output_intent(writer: PdfWriter) -> DictionaryObject:
    """Says the PDF's colours are sRGB, with the profile."""
    profile = DecodedStreamObject()
    profile.set_data(_srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            # pypdf has no public way to add an indirect object; factur-x uses this too.
            NameObject("/DestOutputProfile"): writer._add_object(profile.flate_encode()),
        }
    )


@functools.cache
def _srgb_profile() -> bytes:
    """An sRGB ICC profile, made by Little CMS (through Pillow, which ReportLab needs),
    dated 2000-01-01 rather than when it was made."""
    profile: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile[:24] + struct.pack(">6H", 2000, 1, 1, 0, 0, 0) + profile[36:]
