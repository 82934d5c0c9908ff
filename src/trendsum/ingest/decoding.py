"""Bytes to text: encodings, byte-order marks, and what must not reach the queue or a terminal (control characters),
or should not without a warning (mojibake)."""

from __future__ import annotations

import codecs
import re

from ..errors import IngestError


def decode(raw: bytes, shown: str, declared: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Decode bytes as UTF-8 (with or without BOM) or BOM-marked UTF-16/32, else the encoding the file
    declares (web pages do), else Windows-1252 with a warning: a guess is never stored without one."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if raw.startswith(bom):
            try:
                return _normalise_newlines(raw.decode(codec)), ()
            except UnicodeDecodeError:
                name = codec.upper()
                raise IngestError(shown, f"has a {name} byte-order mark but is not valid {name}") from None
    if b"\x00" in raw[:8192]:
        if _utf16_without_bom(raw):
            return _normalise_newlines(_utf16_without_bom(raw) or ""), (
                "UTF-16 without a byte-order mark: check the text, and re-save it as UTF-8",
            )
        raise IngestError(shown, "looks binary (contains NUL bytes), not text")
    try:
        return _normalise_newlines(raw.decode("utf-8-sig")), ()
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return _normalise_newlines(raw.decode(declared)), ()
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise IngestError(shown, "is neither UTF-8, UTF-16 nor Windows-1252 text; re-save it as UTF-8") from None
    return _normalise_newlines(text), ("not UTF-8: read as Windows-1252; check its punctuation",)


def _utf16_without_bom(raw: bytes) -> str | None:
    """Mostly-ASCII UTF-16 has a NUL in every other byte; anything else with NULs is binary."""
    sample = raw[:4096]
    for codec, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if len(sample) >= 4 and zeros.count(0) >= 0.9 * len(zeros):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                return None
            return text if "\x00" not in text else None
    return None


# Control characters other than tab and newline cannot be shown and could drive a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# UTF-8 read as Windows-1252 somewhere upstream: "â€™" for "’", "Ã©" for "é", "Â " for a no-break space.
_MOJIBAKE = re.compile("â€[™œ˜“”¦¢¡‘’„†•…šž\x9d]|[ÃÂ][\u00a0-\u00bf]")


def clean(text: str) -> tuple[str, tuple[str, ...]]:
    """Text fit to store and show, with a warning for anything that was removed or looks wrong."""
    warnings: list[str] = []
    text = _normalise_newlines(text).replace("\x0c", "\n")
    text, removed = _CONTROL.subn("", text)
    if removed:
        warnings.append(f"removed {removed} control character(s) that cannot be shown")
    mojibake = _MOJIBAKE.search(text)
    if mojibake:
        warnings.append(
            f"text looks double-encoded (mojibake such as {mojibake.group(0)!r}): fix the file's encoding at its "
            "source and summarise it again"
        )
    return text, tuple(warnings)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
