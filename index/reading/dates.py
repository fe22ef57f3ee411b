"""Publication dates from header lines and metadata fields, as ISO `YYYY-MM-DD`.

Parsing is python-dateutil's; this module only decides what may count as a date:
- a value must name a year (four digits) and a day: "12-MAR-1991", "March 12, 1991",
  "Tue, 12 Mar 1991 10:00:00 GMT", "1991-03-12T10:00:00Z", "Published: 12 March 1991";
  a month without a day ("November 2023") or a bare number is not a date;
- all-numeric forms are read month first with "/" (12/11/2023 is December 11, the US order) and
  day first with "." or "-" (12.11.2023 is 12 November), unless a field over 12 settles it;
- a time of day and a weekday are allowed and ignored; the date is the one written, not
  converted to another time zone;
- Unix timestamps (seconds or milliseconds) in export fields are read as UTC.

It does not guess dates from prose ("last Tuesday") or from file times.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

_LABEL = re.compile(
    r"^\s*(?:dateline|dated|date|first published|published(?: on| at)?|posted(?: on)?|updated)\s*[:=]?\s*",
    re.I,
)
_YEAR = re.compile(r"(?<!\d)(1[6-9]\d\d|2[0-2]\d\d)(?!\d)")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?m\.?)?\b.*$", re.I)
_NUMERIC = re.compile(r"^\s*(\d{1,2})([./-])(\d{1,2})\2(\d{4})\s*$")
_WORDS = re.compile(r"[A-Za-z]+")
_DATE_WORDS = frozenset(
    """
jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july
august september october november december mon tue tues wed thu thur thurs fri sat sun monday
tuesday wednesday thursday friday saturday sunday gmt utc bst cet cest est edt pst pdt z t at
am pm st nd rd th of the on
""".split()  # noqa: SIM905 (a word list reads better as text)
)
MAX_LINE = 60  # a header date line is short; longer lines are prose


def parse_date(value: object) -> str | None:
    """An ISO date for a field value or a short line, or None when it is not clearly a date."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_timestamp(float(value))
    if not isinstance(value, str):
        return None
    text = _LABEL.sub("", value.strip(), count=1).strip()
    if text.isdigit():
        return _from_timestamp(float(text)) if len(text) >= 9 else None
    if not text or len(text) > MAX_LINE or not _YEAR.search(text):
        return None
    if any(w.lower() not in _DATE_WORDS for w in _WORDS.findall(text)):
        return None  # words other than months, weekdays and zones: a title or a sentence
    return _numeric(text) or _parsed(text) or _parsed(_TIME.sub("", text).strip(" ,"))


def is_date_line(line: str) -> bool:
    return parse_date(line) is not None


def _numeric(text: str) -> str | None:
    m = _NUMERIC.match(text)
    if not m:
        return None
    a, sep, b, year = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    month_first = (sep == "/" and a <= 12) or b > 12
    return _iso(year, a, b) if month_first else _iso(year, b, a)


def _parsed(text: str) -> str | None:
    from dateutil import parser

    if not text:
        return None
    try:
        one = parser.parse(text, default=datetime(2000, 1, 1))
        two = parser.parse(text, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        return None
    if one.day != two.day or one.month != two.month or one.year != two.year:
        return None  # the day, month or year was not written
    return one.date().isoformat()


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _from_timestamp(value: float) -> str | None:
    if value > 1e11:  # milliseconds
        value /= 1000
    if not 1e8 <= value <= 1e10:
        return None
    return datetime.fromtimestamp(value, UTC).date().isoformat()
