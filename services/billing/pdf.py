"""A statement as PDF (fpdf2: pure Python, so nothing but Python is needed to run Canal).

The lines come grouped by customer (then subscription), each customer closed by its subtotal, and the statement's
subtotal, tax and total at the end: the figures stored on the statement, which are the sum of its lines. Written
in the core Helvetica font (Latin-1): a character outside it prints as "?" rather than failing the download.
Texts come in the viewer's language from the caller: labels (translated) and `money` (formats an amount).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import format_currency
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF

from models import Statement

COLUMNS = (("date", 22), ("description", 88), ("quantity", 14), ("unit_price", 28), ("amount", 28))
ROW_H = 5.5


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


class _StatementPDF(FPDF):
    """Rows are written with text() at computed positions: cell() costs ~1 ms each (its line-breaking), and a
    2,000-line statement has 10,000 of them."""

    def __init__(self, title: str):
        super().__init__(format="A4")
        self.title_text = title
        self.set_auto_page_break(auto=False)
        self.set_title(_latin1(title))
        self.header_row: tuple[str, ...] = ()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, _latin1(f"{self.title_text} - {self.page_no()}/{{nb}}"), align="C")

    def row(self, cells: Iterable[str], *, bold: bool = False, fill: bool = False) -> None:
        if self.y + ROW_H > self.h - 15:
            self.add_page()
            if self.header_row:
                self.row(self.header_row, bold=True, fill=True)
        self.set_font("Helvetica", "B" if bold else "", 9)
        if fill:
            self.rect(self.l_margin, self.y, sum(width for _, width in COLUMNS), ROW_H, style="F")
        x, baseline = self.l_margin, self.y + ROW_H - 1.6
        for (name, width), cell in zip(COLUMNS, cells, strict=True):
            text = self._fit(_latin1(cell), width)
            if text:
                right = name not in ("date", "description")
                self.text(x + width - 1 - self.get_string_width(text) if right else x + 1, baseline, text)
            x += width
        self.y += ROW_H

    def _fit(self, text: str, width: float) -> str:
        if not text or self.get_string_width(text) <= width - 2:
            return text
        keep = int(len(text) * (width - 2) / self.get_string_width(text + "...")) - 1
        return text[:max(keep, 0)] + "..."


def statement_pdf(statement: Statement, locale: Locale) -> bytes:
    """The statement's PDF in the current language, amounts in `locale`'s formats, dates in the current time zone
    (the Billing pages' download, and the statement e-mail's attachment)."""
    from services.billing import statements

    money = cache(lambda value: format_currency(value, statement.currency, locale=locale))  # lines repeat amounts
    return render(statement, statements.statement_lines(statement, page=None), reseller_name=statement.reseller.name,
                  month=statements.month_label(statement.period), money=money,
                  date=lambda moment: format_date(moment, "short"))


def render(statement: Statement, lines: list, *, money: Callable[[Decimal], str], month: str,
           date: Callable, reseller_name: str) -> bytes:
    """The PDF's bytes. `lines`: the statement's lines in order (services.billing.statements.statement_lines)."""
    pdf = _StatementPDF(_("Statement %(number)s", number=statement.number))
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_fill_color(235, 235, 235)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(pdf.title_text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for text in (reseller_name, _("Period: %(month)s", month=month),
                 _("Currency: %(currency)s", currency=statement.currency)):
        pdf.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.header_row = (_("Date"), _("Description"), _("Qty"), _("Unit price"), _("Amount"))
    pdf.row(pdf.header_row, bold=True, fill=True)
    _lines(pdf, lines, money, date)
    pdf.y += 2
    rate = (statement.tax_rate * 100).normalize()
    for label, value in ((_("Subtotal"), statement.subtotal),
                         (_("Tax (%(rate)s%%)", rate=f"{rate:f}"), statement.tax), (_("Total"), statement.total)):
        pdf.row(("", label, "", "", money(value)), bold=True)
    return bytes(pdf.output())


def _lines(pdf: _StatementPDF, lines: list, money: Callable[[Decimal], str], date: Callable) -> None:
    customer, subtotal, started = None, Decimal("0"), False
    for line in lines:
        if not started or line.customer_id != customer:
            if started:
                pdf.row(("", _("Customer subtotal"), "", "", money(subtotal)), bold=True)
            customer, subtotal, started = line.customer_id, Decimal("0"), True
            heading = (f"{line.customer_name} ({line.customer_code})" if line.customer_id
                       else _("Orders (no customer)"))
            pdf.row(("", heading, "", "", ""), bold=True, fill=True)
        subtotal += line.amount
        pdf.row((date(line.occurred_at), line.description, str(line.quantity), money(line.unit_price),
                 money(line.amount)))
    if started:
        pdf.row(("", _("Customer subtotal"), "", "", money(subtotal)), bold=True)
