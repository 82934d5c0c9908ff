"""The readers, one module per input format, and the registry that maps a file's suffix to its reader.

Adding a format is one module that defines a `Reader` and one line in `BUILT_IN`. Everything that lists formats
(the suffixes discovery and the queue accept, the "trendsum reads ..." message, the "save it as ..." hints, what
standard input is sniffed as) asks the registry when it runs, so a reader registered later (a test's, a plug-in's)
is accepted everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import overload

from . import docx, html, odt, pdf, text
from .base import DEFAULT_MAX_BYTES, Reader, ReadFunction, Reading

__all__ = ["DEFAULT_MAX_BYTES", "KINDS", "SUPPORTED_SUFFIXES", "Reader", "ReadFunction", "Reading", "for_suffix",
           "register", "registered", "resave_hint", "sniff", "unregister"]  # fmt: skip

BUILT_IN = (text.READER, html.READER, docx.READER, odt.READER, pdf.READER)  # in the order messages list them

_READERS: dict[str, Reader] = {}  # kind -> reader, in the order registered
_BY_SUFFIX: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Make `reader` read the files its suffixes name. A kind or suffix already taken is a programming error."""
    taken = [s for s in reader.suffixes if s in _BY_SUFFIX]
    if reader.kind in _READERS or taken:
        raise ValueError(f"cannot register reader {reader.kind!r}: {reader.kind!r} or {taken} is already registered")
    _READERS[reader.kind] = reader
    _BY_SUFFIX.update(dict.fromkeys(reader.suffixes, reader))
    return reader


def unregister(kind: str) -> None:
    reader = _READERS.pop(kind)
    for suffix in reader.suffixes:
        del _BY_SUFFIX[suffix]


@contextmanager
def registered(reader: Reader) -> Iterator[Reader]:
    """`reader` registered for the length of a `with` block: for tests, and for trying a format out."""
    register(reader)
    try:
        yield reader
    finally:
        unregister(reader.kind)


def for_suffix(suffix: str) -> Reader | None:
    return _BY_SUFFIX.get(suffix.lower())


def sniff(raw: bytes) -> Reader:
    """What piped-in bytes are, from their first bytes: `curl ... | trendsum summarise -` should just work.

    The built-in sniffs recognise disjoint signatures, so their order does not matter; what none recognises is text.
    """
    for reader in _READERS.values():
        if reader.sniff is not None and reader.sniff(raw):
            return reader
    return _READERS["text"]


# Formats people send that another program can turn into one trendsum reads: what each is, what to do, and the
# kinds that program can make (only those registered are offered).
_RESAVE = {
    ".doc": ("in the old Word format", "save it as", ("docx",)),
    ".rtf": ("Rich Text", "save it as", ("docx", "odt")),
    ".pages": ("a Pages document", "export it as", ("docx", "pdf")),
    ".wpd": ("a WordPerfect document", "save it as", ("docx",)),
    ".pptx": ("a presentation", "export it as", ("pdf",)),
    ".odp": ("a presentation", "export it as", ("pdf",)),
}


def resave_hint(suffix: str) -> str | None:
    """'in the old Word format: save it as .docx' for a suffix no reader takes but another program can convert."""
    if suffix.lower() not in _RESAVE or for_suffix(suffix):
        return None
    what, verb, kinds = _RESAVE[suffix.lower()]
    targets = [_READERS[kind].label for kind in kinds if kind in _READERS]
    return f"{what}: {verb} {' or '.join(targets)}" if targets else None


class _Suffixes(Sequence[str]):
    """The suffixes readers take, in registration order, as they are when asked (not when this module loaded)."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return tuple(_BY_SUFFIX)[index]

    def __len__(self) -> int:
        return len(_BY_SUFFIX)

    def __contains__(self, suffix: object) -> bool:
        return suffix in _BY_SUFFIX

    def __repr__(self) -> str:
        return repr(tuple(_BY_SUFFIX))


class _Kinds(Mapping[str, str]):
    """Suffix -> kind ('.md' -> 'text'), live like _Suffixes."""

    def __getitem__(self, suffix: str) -> str:
        return _BY_SUFFIX[suffix].kind

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_BY_SUFFIX))

    def __len__(self) -> int:
        return len(_BY_SUFFIX)

    def __repr__(self) -> str:
        return repr({suffix: reader.kind for suffix, reader in _BY_SUFFIX.items()})


SUPPORTED_SUFFIXES: Sequence[str] = _Suffixes()
KINDS: Mapping[str, str] = _Kinds()

for _reader in BUILT_IN:
    register(_reader)
