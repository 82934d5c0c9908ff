"""Files to case studies: discovery, decoding, one reader per format, titles, hashes, and clear errors for what
cannot be read.

Where each thing lives:
  sources.py       walking folders, standard input, the id a path suggests, identical files (`discover`, `Source`)
  decoding.py      bytes to text: encodings, byte-order marks, control characters, mojibake
  readers/         one module per format and the `{kind: reader}` registry (suffixes, sniffing, "save it as" hints)
  case.py          one source to a CaseStudy (`read_case`): front matter, title, size limit
  instructions.py  passages that read like instructions to a model

Other packages import from here only; the names below are the ingest API.
"""

from __future__ import annotations

from .case import parse_text, read_case
from .decoding import clean, decode
from .instructions import instruction_like
from .readers import DEFAULT_MAX_BYTES, KINDS, SUPPORTED_SUFFIXES, Reader, Reading, register, registered, unregister
from .readers import sniff as _sniff_reader
from .sources import STDIN, STDIN_PATH, Source, content_groups, discover, real_path, slug, stdin_source, storable
from .verdict import not_a_case_study

__all__ = [
    "DEFAULT_MAX_BYTES", "KINDS", "STDIN", "STDIN_PATH", "SUPPORTED_SUFFIXES", "Reader", "Reading", "Source", "clean",
    "content_groups", "decode", "discover", "instruction_like", "not_a_case_study", "parse_text", "read_case",
    "real_path", "register", "registered", "slug", "sniff", "stdin_source", "storable", "unregister",
]  # fmt: skip


def sniff(raw: bytes) -> str:
    """The kind piped-in bytes are ('pdf', 'docx', ..., else 'text'), from their first bytes."""
    return _sniff_reader(raw).kind
