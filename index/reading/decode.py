"""Bytes to text: UTF-8 first, then a detected legacy encoding; binary files are refused.

Legacy text is tried as windows-1252 first, the most common legacy encoding of Western news
archives (the WHATWG encoding standard decodes "iso-8859-1" as windows-1252 too, and every Latin-1
letter decodes the same way): it is kept when charset-normalizer's mess ratio of the result is
below `CLEAN_MESS`. Otherwise charset-normalizer detects the encoding (Cyrillic, Greek, …); on a
tie the more common one in `PREFERRED` wins. It does not repair mojibake inside UTF-8.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from index.errors import BadInputError

PREFERRED = ("cp1252", "iso8859_15", "utf_16", "cp1250", "mac_roman", "cp437")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32"),
    (codecs.BOM_UTF32_BE, "utf_32"),
    (codecs.BOM_UTF16_LE, "utf_16"),
    (codecs.BOM_UTF16_BE, "utf_16"),
)
_TIE_CHAOS, _TIE_COHERENCE = 0.01, 0.05
CLEAN_MESS = 0.1  # windows-1252 Western samples measured 0.0-0.03 here; Cyrillic/Greek read as it, > 1


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name, e.g. "utf_8", "cp1252"

    @property
    def utf8(self) -> bool:
        return self.encoding == "utf_8"


def decode(data: bytes, name: str) -> Decoded:
    """The text of a file; BadInputError (with what to do) for empty, binary or undecodable bytes."""
    if not data.strip():
        raise BadInputError(f"{name}: empty file; add text or remove it.")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(encoding), encoding)
    try:
        return Decoded(data.decode("utf-8"), "utf_8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:8192]:
        raise BadInputError(f"{name}: binary file (NUL bytes); only text, HTML and export files are indexed.")
    found = detect(data)
    if found is None:
        raise BadInputError(
            f"{name}: not text in any known encoding; "
            "re-save it as UTF-8 (e.g. `iconv -f <encoding> -t utf-8`)."
        )
    return Decoded(data.decode(found), found)


def detect(data: bytes) -> str | None:
    """The legacy encoding that decodes `data` best, preferring common ones on a tie."""
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    try:
        if mess_ratio(data.decode("cp1252"), 1.0) < CLEAN_MESS:
            return "cp1252"
    except UnicodeDecodeError:
        pass

    results = list(from_bytes(data))
    if not results:
        return None
    best = results[0]
    tied = [
        r.encoding
        for r in results
        if r.chaos <= best.chaos + _TIE_CHAOS and r.coherence >= best.coherence - _TIE_COHERENCE
    ]
    return next((e for e in PREFERRED if e in tied), best.encoding)
