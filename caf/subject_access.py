"""What a subject access export is made of (issue 15; Settled question 26), shared by caf's selector
that gathers a subject's records and the apps above caf that add theirs through caf.hooks
(referrals: referrals and step-downs about the subject).

An export is a draft for the council's information governance officer: other people's data is never
dropped, it is marked "third party — review before release" (a `Value` with `third_party`), and the
officer decides what to redact. Staff named for what they did in their work (who recorded, who
joined the team) are not third parties here: the family is entitled to know who worked with them.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

THIRD_PARTY_LABEL = "third party — review before release"

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such a cell
# is written with a leading apostrophe, which spreadsheets show as text and hide.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


@dataclass(frozen=True)
class Value:
    """One answer in an exported record; `third_party` when it is someone else's data."""

    text: str
    third_party: bool = False


@dataclass
class Section:
    """A heading and its answers (label, value), or a table (`columns` and `rows` of values)."""

    title: str
    answers: list[tuple[str, Value]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Value]] = field(default_factory=list)
    note: str = ""

    def answer(self, label: str, value: object, *, third_party: bool = False) -> None:
        self.answers.append((label, Value(_text(value), third_party)))

    def row(self, *values: object | Value) -> None:
        self.rows.append([value if isinstance(value, Value) else Value(_text(value)) for value in values])

    @property
    def has_third_party(self) -> bool:
        return any(value.third_party for _, value in self.answers) or any(
            value.third_party for row in self.rows for value in row
        )


@dataclass
class RecordDocument:
    """One HTML file of the export, and the PDF beside it: a record (the child's details, a CAF, a
    referral...)."""

    filename: str
    title: str
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str, *, columns: Iterable[str] = (), note: str = "") -> Section:
        section = Section(title, columns=list(columns), note=note)
        self.sections.append(section)
        return section

    @property
    def has_third_party(self) -> bool:
        return any(section.has_third_party for section in self.sections)

    @property
    def pdf_filename(self) -> str:
        """The PDF of the same record beside its HTML file: child.html, child.pdf."""
        return self.filename.rsplit(".", 1)[0] + ".pdf"


def when(at: datetime | None) -> str:
    """A moment as the export writes it, in the council's time: "6 December 2026 14:05"."""
    return f"{timezone.localtime(at):%-d %B %Y %H:%M}" if at else ""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


class ThirdParties:
    """The names of the people who are not the subject (other children of the household, parents and
    carers, people who gave consent), to mark text that names them: a chronology line, an access log
    entry, a free-text answer."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: set[str] = set()
        self.add(*names)

    def add(self, *names: str) -> None:
        for name in names:
            cleaned = " ".join(name.split())
            if len(cleaned) >= 3:
                self.names.add(cleaned.casefold())

    def named_in(self, text: str) -> bool:
        folded = " ".join(text.split()).casefold()
        return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded) for name in self.names)


@dataclass(frozen=True)
class Subject:
    """Whom an export is about, for the apps that add their records (caf.hooks): a child (their
    record and those merged into it) or an adult (as the consent records name them), the CAFs they
    are on, and the names of the people who are not them."""

    council_id: int
    child_ids: tuple[int, ...]
    adult_name: str
    caf_ids: tuple[int, ...]
    third_parties: ThirdParties
