"""The PDF of each record of a subject access export (issue 15: "and PDF where the print exists"),
built with fpdf2 from the same RecordDocument the record's HTML file shows: the same title, banner,
sections, answers and rows, with other people's data marked the same way (highlighted and labelled
"third party — review before release").

A table is written row by row as "column: value" lines rather than as a grid, so that a long answer
(an assessment, a review's summary) never overflows a page. The text font is DejaVu Sans, committed
under caf/fonts/ (settings.SUBJECT_ACCESS_PDF_FONT), so that every name prints as typed; if a
configured font is missing, fpdf2's built-in Helvetica is used and a character outside Latin-1 is
printed as "?" (the HTML file beside it is always exact).
"""

from pathlib import Path

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from caf.subject_access import THIRD_PARTY_LABEL, RecordDocument, Value

# GOV.UK's highlight yellow, as the HTML's <mark>.
_HIGHLIGHT = (255, 221, 0)
_FONT = "Body"


class _Pdf(FPDF):
    def __init__(self, *, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.unicode = False
        font = Path(getattr(settings, "SUBJECT_ACCESS_PDF_FONT", ""))
        bold = font.with_name(font.stem + "-Bold" + font.suffix)
        if font.is_file() and bold.is_file():
            self.add_font(_FONT, "", str(font))
            self.add_font(_FONT, "B", str(bold))
            self.unicode = True
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def text_of(self, text: str) -> str:
        """The text as the font can print it: exact with DejaVu, Latin-1 (others as "?") without."""
        text = text.replace("\u2014", "-" if not self.unicode else "\u2014")
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def use(self, size: float, *, bold: bool = False) -> None:
        self.set_font(_FONT if self.unicode else "Helvetica", "B" if bold else "", size)

    def footer(self) -> None:
        self.set_y(-12)
        self.use(8)
        self.cell(0, 5, self.text_of(f"{self.footer_text}   Page {self.page_no()}"), align="C")


def record_pdf(document: RecordDocument, *, caption: str, banner: str, compress: bool = True) -> bytes:
    """The record as a PDF: `caption` (the request and its subject) and `banner` (draft or released,
    and what the third-party mark means) as the HTML file shows them. `compress=False` leaves the
    page streams readable (tests)."""
    pdf = _Pdf(footer_text=caption)
    pdf.set_compression(compress)
    pdf.set_title(pdf.text_of(document.title))
    pdf.add_page()
    width = pdf.epw

    def para(text: str, size: float = 10, *, bold: bool = False, fill: bool = False, gap: float = 1.5) -> None:
        pdf.use(size, bold=bold)
        if fill:
            pdf.set_fill_color(*_HIGHLIGHT)
        pdf.multi_cell(width, size * 0.5, pdf.text_of(text), fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    def answer(label: str, value: Value) -> None:
        pdf.use(10, bold=True)
        pdf.multi_cell(width, 5, pdf.text_of(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if value.third_party and value.text:
            para(f"{value.text} [{THIRD_PARTY_LABEL}]", fill=True)
        else:
            para(value.text or "-")

    para(caption, 9)
    para(document.title, 18, bold=True, gap=3)
    para(banner, 10, gap=4)
    for section in document.sections:
        para(section.title, 14, bold=True, gap=2)
        if section.note:
            para(section.note, 10)
        for label, value in section.answers:
            answer(label, value)
        if section.columns:
            if not section.rows:
                para("None recorded.")
            for number, row in enumerate(section.rows, start=1):
                para(f"{number}.", 10, bold=True, gap=0.5)
                for column, value in zip(section.columns, row, strict=False):
                    answer(column, value)
                pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
                pdf.ln(2)
        pdf.ln(2)
    return bytes(pdf.output())
