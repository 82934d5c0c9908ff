"""PDF: the text layer of every page, through pypdf. A PDF without one is a scan: say so rather than summarise
nothing."""

from __future__ import annotations

import io
import logging

from ...errors import IngestError
from .base import Reader, Reading

# pypdf logs every oddity of a damaged file; the run summary already says what matters about it.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_pdf(raw: bytes, shown: str, *, max_bytes: int) -> Reading:
    from pypdf import PdfReader  # imported here, so that only runs that read a PDF pay for it
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("needs a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise IngestError(shown, "is encrypted and needs a password to open; save an unprotected copy") from None
    except Exception as exc:  # pypdf raises many kinds of error on damaged files
        raise IngestError(shown, f"is not a readable PDF ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise IngestError(shown, "has no text layer (scanned?): run OCR on it, or paste its text into a .txt file")
    return Reading(text)


def _looks_like_pdf(raw: bytes) -> bool:
    return raw[:1024].lstrip().startswith(b"%PDF-")


READER = Reader("pdf", (".pdf",), read_pdf, sniff=_looks_like_pdf, label="PDF")
