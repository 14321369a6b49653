"""The invoice or credit note as a PDF people read: A4, drawn with ReportLab.

:func:`render_pdf` draws an :class:`~interpreta.billing.document.InvoiceDocument` in the
document's language: labels through the catalogues, dates and amounts as CLDR writes them
there. The output depends on the document alone (no clock, no random identifiers), so a
stored PDF can be compared byte for byte with a re-render of its document, given the same
ReportLab, fonts, CLDR data and catalogues. :mod:`~interpreta.billing.einvoice` embeds the
EN 16931 XML in it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from babel import Locale
from babel.dates import format_interval
from babel.numbers import format_currency, format_decimal, format_percent
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from interpreta.billing.document import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdown,
    VatCategory,
)
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import cldr_locale, current, long_date, speaking

__all__ = ["render_pdf"]

_FONT = "InvoiceSans"
_FONT_BOLD = "InvoiceSans-Bold"

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_VERA = Path(reportlab.__file__).parent / "fonts"

_LEFT = 20 * mm
_WIDTH = A4[0] - 2 * _LEFT
_BOTTOM = 28 * mm
"""Where the text ends; the footer is below."""

_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#616e7c")
_RULE = colors.HexColor("#cbd2d9")
_SHADE = colors.HexColor("#f0f4f8")


def render_pdf(document: InvoiceDocument) -> bytes:
    """The document as an A4 PDF in its language; the same document gives the same bytes."""
    _register_fonts()
    buffer = io.BytesIO()
    with speaking(document.language):
        styles = _styles()
        title = _title(document)
        template = BaseDocTemplate(
            buffer,
            pagesize=A4,
            pageTemplates=[_page_template()],
            title=f"{title} {document.number}",
            author=document.seller.name,
            subject=f"{title} {document.number} \u2013 {document.buyer.name}",
            creator="Interpreta",
            invariant=1,
            lang=current(),
            initialFontName=_FONT,
            initialFontSize=9,
        )
        canvasmaker = functools.partial(
            _PagedCanvas,
            footer=_footer_lines(document),
            reference=f"{title} {document.number}",
            stamp=document.issued_on.strftime("D:%Y%m%d000000+00'00'"),
            page_label=gettext("Page %(page)s of %(pages)s"),
        )
        template.build(_story(document, styles), canvasmaker=canvasmaker)
    return buffer.getvalue()


def _page_template() -> PageTemplate:
    """A4 with 20 mm margins, room for the footer, and nothing inset within them."""
    frame = Frame(
        _LEFT,
        _BOTTOM,
        _WIDTH,
        A4[1] - _BOTTOM - 18 * mm,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    return PageTemplate(id="page", frames=[frame])


def _font_files() -> tuple[Path, Path]:
    """DejaVu Sans where the system has it (all European scripts: "Łódź", "Dvořák"),
    else ReportLab's own Vera (Latin-1 only: no "ł", "ř" or "ź")."""
    dejavu = (_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf")
    if all(path.is_file() for path in dejavu):
        return dejavu
    return _VERA / "Vera.ttf", _VERA / "VeraBd.ttf"


@functools.cache
def _register_fonts() -> None:
    """Registers the PDF's fonts with ReportLab, once per process."""
    regular, bold = _font_files()
    pdfmetrics.registerFont(TTFont(_FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(_FONT_BOLD, str(bold)))
    pdfmetrics.registerFontFamily(
        _FONT, normal=_FONT, bold=_FONT_BOLD, italic=_FONT, boldItalic=_FONT_BOLD
    )


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    heading: ParagraphStyle
    seller: ParagraphStyle
    title: ParagraphStyle
    number: ParagraphStyle
    cell: ParagraphStyle
    cell_right: ParagraphStyle
    cell_strong: ParagraphStyle
    cell_strong_right: ParagraphStyle
    head: ParagraphStyle
    head_right: ParagraphStyle


def _styles() -> _Styles:
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9, leading=12.5, textColor=_INK)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=_MUTED)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11)
    strong = ParagraphStyle("cell_strong", parent=cell, fontName=_FONT_BOLD)
    head = ParagraphStyle("head", parent=cell, fontName=_FONT_BOLD, textColor=_MUTED)
    return _Styles(
        body=body,
        small=small,
        label=ParagraphStyle("label", parent=small, fontName=_FONT_BOLD),
        heading=ParagraphStyle(
            "heading", parent=body, fontName=_FONT_BOLD, fontSize=10, spaceBefore=4, spaceAfter=4
        ),
        seller=ParagraphStyle("seller", parent=body, fontName=_FONT_BOLD, fontSize=13, leading=17),
        title=ParagraphStyle(
            "title", parent=body, fontName=_FONT_BOLD, fontSize=20, leading=24, alignment=TA_RIGHT
        ),
        number=ParagraphStyle("number", parent=body, fontSize=10, leading=14, alignment=TA_RIGHT),
        cell=cell,
        cell_right=ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT),
        cell_strong=strong,
        cell_strong_right=ParagraphStyle("cell_strong_right", parent=strong, alignment=TA_RIGHT),
        head=head,
        head_right=ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT),
    )


def _story(document: InvoiceDocument, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [
        _header(document, styles),
        Spacer(1, 10 * mm),
        _addresses(document, styles),
        Spacer(1, 8 * mm),
        _lines_table(document, styles),
        Spacer(1, 4 * mm),
        KeepTogether(_totals_table(document, styles)),
        Spacer(1, 6 * mm),
        KeepTogether(_vat_section(document, styles)),
    ]
    if document.notes:
        story.append(Spacer(1, 4 * mm))
        story += [_paragraph(note, styles.body) for note in document.notes]
    payment = _payment_section(document, styles)
    if payment:
        story += [Spacer(1, 6 * mm), KeepTogether(payment)]
    return story


def _header(document: InvoiceDocument, styles: _Styles) -> Table:
    """The seller, as a letterhead, and the document's title and number."""
    seller = document.seller
    lines = _address(seller)
    if seller.vat_id:
        lines.append(gettext("VAT ID: %(id)s", id=seller.vat_id))
    if seller.email:
        lines.append(seller.email)
    left = [
        _paragraph(seller.name, styles.seller),
        Paragraph("<br/>".join(escape(line) for line in lines), styles.small),
    ]
    right = [
        _paragraph(_title(document), styles.title),
        _paragraph(document.number, styles.number),
    ]
    return _side_by_side(left, right, 0.55)


def _addresses(document: InvoiceDocument, styles: _Styles) -> Table:
    """Who the document is for, beside its number, dates and period."""
    buyer = document.buyer
    billed: list[Flowable] = [
        _paragraph(gettext("Bill to"), styles.label),
        Spacer(1, 1.5 * mm),
        Paragraph(f"<b>{escape(buyer.name)}</b>", styles.body),
    ]
    lines = [buyer.contact, *_address(buyer)]
    if buyer.vat_id:
        lines.append(gettext("VAT ID: %(id)s", id=buyer.vat_id))
    lines.append(buyer.email)
    billed += [_paragraph(line, styles.body) for line in lines if line]
    return _side_by_side(billed, _details(document, styles), 0.5)


def _details(document: InvoiceDocument, styles: _Styles) -> list[Flowable]:
    """The document's number, dates and period, and what a credit note corrects."""
    rows = [
        (_number_label(document), document.number),
        (gettext("Issue date"), long_date(document.issued_on)),
    ]
    if document.due_on is not None:
        rows.append((gettext("Due date"), long_date(document.due_on)))
    period = _period(document.period_start, document.period_end)
    if period:
        rows.append((gettext("Service period"), period))
    details: list[Flowable] = [_key_values(rows, styles, (0.2 * _WIDTH, 0.3 * _WIDTH))]
    correction = _correction(document)
    if correction:
        details += [Spacer(1, 2 * mm), _paragraph(correction, styles.body)]
    return details


def _lines_table(document: InvoiceDocument, styles: _Styles) -> Table:
    head = [
        _paragraph(gettext("Description"), styles.head),
        _paragraph(gettext("Quantity"), styles.head_right),
        _paragraph(gettext("Unit"), styles.head),
        _paragraph(gettext("Unit price"), styles.head_right),
        _paragraph(gettext("VAT"), styles.head_right),
        _paragraph(gettext("Net amount"), styles.head_right),
    ]
    rows = [head, *(_line_row(document, line, styles) for line in document.lines)]
    return _table(
        rows,
        [60 * mm, 21 * mm, 17 * mm, 27 * mm, 16 * mm, 29 * mm],
        [
            ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, _RULE),
            ("LINEBELOW", (0, 1), (-1, -1), 0.3, _RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
        repeatRows=1,
    )


def _line_row(document: InvoiceDocument, line: DocumentLine, styles: _Styles) -> list[Flowable]:
    return [
        _paragraph(line.description, styles.cell),
        _paragraph(_quantity(line.quantity), styles.cell_right),
        _paragraph(_unit(line.unit), styles.cell),
        _paragraph(_price(line.unit_price, document.currency), styles.cell_right),
        _paragraph(_rate(line.vat_category, line.vat_rate), styles.cell_right),
        _paragraph(_money(line.net, document.currency), styles.cell_right),
    ]


def _totals_table(document: InvoiceDocument, styles: _Styles) -> Table:
    """Net, VAT and gross totals, what was paid, and what is left: the last one stands out."""
    currency = document.currency
    rows = [
        (gettext("Total net"), document.net_total),
        (gettext("VAT"), document.vat_total),
        (gettext("Total"), document.gross_total),
    ]
    if document.paid:
        rows.append((gettext("Paid"), document.paid))
    if document.kind is DocumentKind.CREDIT_NOTE:
        rows.append((gettext("Total credit"), document.amount_due))
    else:
        rows.append((gettext("Amount due"), document.amount_due))
    strong = {2, len(rows) - 1}
    cells = [
        [
            _paragraph(label, styles.cell_strong if index in strong else styles.cell),
            _paragraph(
                _money(amount, currency),
                styles.cell_strong_right if index in strong else styles.cell_right,
            ),
        ]
        for index, (label, amount) in enumerate(rows)
    ]
    return _table(
        cells,
        [45 * mm, 35 * mm],
        [
            ("LINEABOVE", (0, 2), (-1, 2), 0.6, _RULE),
            ("LINEABOVE", (0, -1), (-1, -1), 0.9, _INK),
            ("BACKGROUND", (0, -1), (-1, -1), _SHADE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ],
        hAlign="RIGHT",
    )


def _vat_section(document: InvoiceDocument, styles: _Styles) -> list[Flowable]:
    head = [
        _paragraph(gettext("VAT category"), styles.head),
        _paragraph(gettext("Rate"), styles.head_right),
        _paragraph(gettext("Taxable amount"), styles.head_right),
        _paragraph(gettext("VAT"), styles.head_right),
    ]
    rows = [head, *(_vat_row(document, row, styles) for row in document.vat)]
    table = _table(
        rows,
        [86 * mm, 20 * mm, 34 * mm, 30 * mm],
        [
            ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, _RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ],
    )
    return [_paragraph(gettext("VAT breakdown"), styles.heading), table]


def _vat_row(document: InvoiceDocument, row: VatBreakdown, styles: _Styles) -> list[Flowable]:
    """A category, rate and amounts, with the reason no VAT is charged below the category."""
    name = _category(row.category)
    category = escape(name)
    if row.exemption_reason and row.exemption_reason.casefold() != name.casefold():
        category += f"<br/><font size=7.5 color='{_MUTED.hexval()}'>"
        category += f"{escape(row.exemption_reason)}</font>"
    return [
        Paragraph(category, styles.cell),
        _paragraph(_rate(row.category, row.rate), styles.cell_right),
        _paragraph(_money(row.taxable, document.currency), styles.cell_right),
        _paragraph(_money(row.tax, document.currency), styles.cell_right),
    ]


def _payment_section(document: InvoiceDocument, styles: _Styles) -> list[Flowable]:
    """Payment terms, and where to transfer the money (invoices only: a credit note's
    money goes the other way)."""
    section: list[Flowable] = []
    if document.payment_terms:
        section.append(_paragraph(document.payment_terms, styles.body))
    if document.seller_iban and document.kind is DocumentKind.INVOICE:
        rows = [
            (gettext("Account holder"), document.seller.name),
            (gettext("IBAN"), _iban(document.seller_iban)),
        ]
        if document.seller_bic:
            rows.append((gettext("BIC"), document.seller_bic))
        rows.append((gettext("Payment reference"), document.number))
        section += [Spacer(1, 2 * mm), _key_values(rows, styles, (40 * mm, 90 * mm), "LEFT")]
    if not section:
        return []
    return [_paragraph(gettext("Payment"), styles.heading), *section]


def _footer_lines(document: InvoiceDocument) -> tuple[str, ...]:
    """The seller's address, VAT ID, registration and bank account, a line each."""
    seller = document.seller
    lines = [
        [seller.name, *_address(seller)],
        [
            gettext("VAT ID: %(id)s", id=seller.vat_id) if seller.vat_id else "",
            seller.legal_id or "",
            seller.email or "",
        ],
        [
            f"IBAN {_iban(document.seller_iban)}" if document.seller_iban else "",
            f"BIC {document.seller_bic}" if document.seller_bic else "",
        ],
    ]
    return tuple(" · ".join(filter(None, parts)) for parts in lines if any(parts))


class _PagedCanvas(Canvas):  # type: ignore[misc]
    """A canvas that draws each page's footer once it knows how many pages there are."""

    def __init__(
        self,
        *args: Any,
        footer: Sequence[str],
        reference: str,
        stamp: str,
        page_label: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._reference = reference
        self._page_label = page_label
        self._pages: list[dict[str, Any]] = []
        # Invariant mode dates every PDF 2000-01-01; the issue date is as fixed and true.
        self.setDateFormatter(lambda *_: stamp)

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, len(self._pages))
            super().showPage()
        super().save()

    def _draw_footer(self, page: int, pages: int) -> None:
        top = 18 * mm
        self.saveState()
        self.setStrokeColor(_RULE)
        self.setLineWidth(0.4)
        self.line(_LEFT, top + 4 * mm, _LEFT + _WIDTH, top + 4 * mm)
        self.setFont(_FONT, 7)
        self.setFillColor(_MUTED)
        for index, line in enumerate(self._footer):
            self.drawString(_LEFT, top - index * 3.5 * mm, line)
        right = _LEFT + _WIDTH
        self.drawRightString(right, top, self._reference)
        self.drawRightString(
            right, top - 3.5 * mm, self._page_label % {"page": page, "pages": pages}
        )
        self.restoreState()


def _table(
    rows: Sequence[Sequence[Flowable]],
    widths: Sequence[float],
    commands: Sequence[tuple[Any, ...]],
    **options: Any,
) -> Table:
    """A table of paragraphs, aligned to the top of each row."""
    table = Table(rows, colWidths=widths, **options)
    # A table sets its own font even for cells of paragraphs; left at the default, that
    # would put Helvetica, not embedded, in the PDF.
    style = [("FONT", (0, 0), (-1, -1), _FONT), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    table.setStyle(TableStyle([*style, *commands]))
    return table


def _side_by_side(left: list[Flowable], right: list[Flowable], share: float) -> Table:
    """Two blocks beside each other, the left one taking `share` of the width."""
    padding = [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
    return _table([[left, right]], [_WIDTH * share, _WIDTH * (1 - share)], padding)


def _key_values(
    rows: Sequence[tuple[str, str]],
    styles: _Styles,
    widths: tuple[float, float],
    align: str = "RIGHT",
) -> Table:
    """Labels and their values, in two columns."""
    cells = [[_paragraph(key, styles.label), _paragraph(value, styles.body)] for key, value in rows]
    padding = [
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    return _table(cells, widths, padding, hAlign=align)


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain text as a paragraph (which would otherwise read "&" or "<" as markup)."""
    return Paragraph(escape(text), style)


def _title(document: InvoiceDocument) -> str:
    if document.kind is DocumentKind.CREDIT_NOTE:
        return gettext("Credit note")
    return gettext("Invoice")


def _number_label(document: InvoiceDocument) -> str:
    if document.kind is DocumentKind.CREDIT_NOTE:
        return gettext("Credit note number")
    return gettext("Invoice number")


def _correction(document: InvoiceDocument) -> str | None:
    """ "Corrects invoice N of <date>", for a credit note that names its invoice."""
    if document.kind is not DocumentKind.CREDIT_NOTE or not document.preceding_number:
        return None
    if document.preceding_issued_on is None:
        return gettext("Corrects invoice %(number)s", number=document.preceding_number)
    return gettext(
        "Corrects invoice %(number)s of %(date)s",
        number=document.preceding_number,
        date=long_date(document.preceding_issued_on),
    )


def _category(category: VatCategory) -> str:
    names = {
        VatCategory.STANDARD: gettext("Standard rate"),
        VatCategory.REVERSE_CHARGE: gettext("Reverse charge"),
        VatCategory.OUTSIDE_SCOPE: gettext("Not subject to VAT"),
    }
    return names[category]


def _unit(code: str) -> str:
    """A UN/ECE Recommendation 20 unit as people read it (what one unit of the quantity
    is, so singular); an unknown code as it is."""
    names = {
        "HUR": gettext("hour"),
        "DAY": gettext("day"),
        "MIN": gettext("minute"),
        "MON": gettext("month"),
        "ANN": gettext("year"),
        "C62": gettext("item"),
    }
    return names.get(code, code)


def _address(party: Party) -> list[str]:
    country = Locale.parse(_locale()).territories.get(party.country, party.country)
    return [party.street, f"{party.postcode} {party.city}", country]


def _period(start: date | None, end: date | None) -> str | None:
    if start is not None and end is not None:
        return format_interval(start, end, "yMMMd", locale=_locale())
    day = start or end
    return long_date(day) if day is not None else None


def _money(amount: Decimal, currency: str) -> str:
    return format_currency(amount, currency, locale=_locale())


def _price(amount: Decimal, currency: str) -> str:
    """A unit price with all its decimals (0.0125 €), at least the currency's own."""
    return format_currency(amount, currency, locale=_locale(), decimal_quantization=False)


def _quantity(quantity: Decimal) -> str:
    return format_decimal(quantity.normalize(), locale=_locale(), decimal_quantization=False)


def _rate(category: VatCategory, rate: Decimal) -> str:
    """The VAT rate as a percentage; none for a supply outside the scope of VAT."""
    if category is VatCategory.OUTSIDE_SCOPE:
        return "\u2013"  # en dash
    return format_percent(rate / 100, locale=_locale(), decimal_quantization=False)


def _iban(iban: str) -> str:
    """The IBAN in groups of four, as it is printed (DE89 3704 0044 0532 0130 00)."""
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _locale() -> str:
    return cldr_locale(current())
