"""A statement as PDF (fpdf2), set in Noto Sans SC so Chinese names and memos render.

Byte-deterministic: the creation date is the statement's generation time and the file id is
fpdf2's hash of the content, so the same ledger rows give the same file on any host. fpdf2 holds
the document it builds (a year of 10,000 movements is about 190 pages, under 1 MB), but the rows are
fed to it one batch at a time; each step is CPU work that callers run in a thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pylopdf_fonts_zh_cn
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.statements.heading import Heading, shown_short
from app.statements.movements import Movement

FONT = "NotoSansSC"
FONT_PATH: Path = pylopdf_fonts_zh_cn.sans_path()
# (title, width in mm, alignment): 190 mm across an A4 page with 10 mm margins.
_COLUMNS = (("Date 日期", 32, "L"), ("Kind 类型", 30, "L"), ("Counterparty 对方", 38, "L"),
            ("Memo 备注", 46, "L"), ("Amount 金额", 22, "R"), ("Balance 余额", 22, "R"))
_ROW_MM = 5.0
_ROW_PT = 7.5


class _Document(FPDF):
    def __init__(self, heading: Heading) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.heading = heading

    def header(self) -> None:
        self.set_font(FONT, size=7)
        self.set_text_color(90)
        self.cell(0, 4, f"imwallet statement 对账单 · account {self.heading.account_id} · "
                        f"{shown_short(self.heading.start)} – {shown_short(self.heading.end)} (UTC+08:00)",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        if self.page_no() > 1:
            _column_titles(self)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(90)
        self.cell(0, 4, f"Signed with Ed25519 key {self.heading.key_id}: check with `imwallet verify-statement`. "
                        f"Page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


class PdfStatement:
    """Build with the heading, `add` each batch of movements, then `finish` for the bytes."""

    def __init__(self, heading: Heading) -> None:
        pdf = _Document(heading)
        pdf.set_creation_date(heading.generated_at)
        pdf.set_title(f"imwallet statement, account {heading.account_id}")
        pdf.set_creator("imwallet")
        pdf.add_font(FONT, "", str(FONT_PATH))
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.add_page()
        _summary(pdf, heading)
        _column_titles(pdf)
        pdf.set_font(FONT, size=_ROW_PT)
        self._pdf = pdf
        self._count = 0
        self._widths: dict[str, float] = {}

    def add(self, batch: Sequence[Movement]) -> None:
        # Rows are drawn with text() and rect(), not cell(): cell() costs ~0.2 ms (line breaking,
        # shaping, state copies), which is most of a 10,000-row statement's time.
        pdf, money = self._pdf, self._pdf.heading.money
        for m in batch:
            if pdf.y + _ROW_MM > pdf.page_break_trigger:
                pdf.add_page()
                pdf.set_font(FONT, size=_ROW_PT)
            self._count += 1
            if self._count % 2 == 0:
                pdf.rect(pdf.l_margin, pdf.y, pdf.epw, _ROW_MM, style="F")
            cells = (shown_short(m.at), f"{m.kind} {m.direction}", m.counterparty, m.memo,
                     money(m.amount_minor), money(m.balance_after_minor))
            x, baseline = pdf.l_margin, pdf.y + _ROW_MM * 0.72
            for (_, width, align), text in zip(_COLUMNS, cells, strict=True):
                fitted, used = self._fit(text, width - 1.0)
                pdf.text(x + (width - 0.5 - used if align == "R" else 0.5), baseline, fitted)
                x += width
            pdf.set_y(pdf.y + _ROW_MM)

    def finish(self) -> bytes:
        pdf = self._pdf
        pdf.ln(2)
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 6, f"Closing balance 期末余额: {pdf.heading.money(pdf.heading.totals.closing_minor)} "
                       f"{pdf.heading.currency}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(pdf.output())

    def _width(self, char: str) -> float:
        width = self._widths.get(char)
        if width is None:
            width = self._widths[char] = self._pdf.get_string_width(char)
        return width

    def _fit(self, text: str, width_mm: float) -> tuple[str, float]:
        """The text, cut with an ellipsis where it would overflow its column, and its width."""
        used = sum(self._width(c) for c in text)
        if used <= width_mm:
            return text, used
        budget, kept, used = width_mm - self._width("…"), [], 0.0
        for c in text:
            if used + self._width(c) > budget:
                break
            kept.append(c)
            used += self._width(c)
        return "".join(kept) + "…", used + self._width("…")


def _summary(pdf: _Document, h: Heading) -> None:
    pdf.set_font(FONT, size=15)
    pdf.cell(0, 9, "Account statement 账户对账单", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    t = h.totals
    lines = (("Holder 户名", h.holder), ("Account 账户", f"{h.account_id} ({h.currency})"),
             ("Period 期间", f"{shown_short(h.start)} – {shown_short(h.end)} (UTC+08:00, end excluded)"),
             ("Generated 生成时间", shown_short(h.generated_at)),
             ("Opening balance 期初余额", h.money(t.opening_minor)),
             ("Money in 收入", f"{h.money(t.money_in_minor)}"), ("Money out 支出", f"{h.money(t.money_out_minor)}"),
             ("Closing balance 期末余额", h.money(t.closing_minor)), ("Movements 笔数", str(t.movement_count)))
    for label, value in lines:
        pdf.cell(45, 5.5, label)
        pdf.cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _column_titles(pdf: FPDF) -> None:
    pdf.set_font(FONT, size=7.5)
    pdf.set_fill_color(225)
    for title, width, align in _COLUMNS:
        pdf.cell(width, 6, title, align=align, fill=True)
    pdf.ln(6)
    pdf.set_fill_color(244)
