"""Opening zipped documents (.docx, .odt) without letting a small file unpack into gigabytes.

What a document inflates to is bounded by a multiple of --max-bytes. Real documents inflate 3 to 6 times, a bare
Word template 22 times (its styles alone are 800 KB), hence the floor that keeps small --max-bytes values from
refusing ordinary documents.
"""

from __future__ import annotations

import copy
import io
import zipfile
import zlib
from collections.abc import Iterator

from ...errors import IngestError

INFLATE_FACTOR = 5
MIN_INFLATE_LIMIT = 16 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000  # Word and LibreOffice write tens; many thousands is a zip bomb of another kind
_CHUNK = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
ODF_MARK = b"application/vnd.oasis.opendocument"  # the mimetype member, stored first in every OpenDocument zip

def inflate_limit(max_bytes: int) -> int:
    """How many bytes the parts of a zipped document may unpack to, for a given --max-bytes."""
    return max(INFLATE_FACTOR * max_bytes, MIN_INFLATE_LIMIT)


def open_zip(raw: bytes, shown: str, what: str, *, max_bytes: int, parts: set[str] | None = None) -> zipfile.ZipFile:
    """Open a zipped document, refusing one that says it is a zip bomb: too many members, or `parts` (the
    members that will be read; None: all of them, as python-docx reads every part) too large in all.

    The declared sizes bound memory only because every read goes through _inflate, which never keeps more
    than a member declares and refuses one that unpacks to more.
    """
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(shown, "is password-protected or in an old binary format; save an unprotected copy in the "
                                 "current format and try again")  # fmt: skip
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    # NotImplementedError: a directory entry claiming a zip version this Python cannot read ("zip file version 6.4")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise IngestError(shown, f"is not {what} file: it is damaged or not a zip archive ({exc})") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_ENTRIES:
        raise IngestError(shown, f"holds {len(members):,} files inside, more than any document (at most "
                                 f"{MAX_ZIP_ENTRIES:,}): a zip bomb, not a case study")  # fmt: skip
    chosen = [info for info in members if parts is None or info.filename in parts]
    for info in chosen:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2 and LZMA inflate a whole block at once, however large: no word processor writes them
            raise IngestError(shown, f"is not {what} file: {info.filename} uses a compression method "
                                     f"(#{info.compress_type}) that word processors never write")  # fmt: skip
    if sum(info.file_size for info in chosen) > inflate_limit(max_bytes):
        raise _inflates_too_much(shown, max_bytes)
    return archive


def measure(archive: zipfile.ZipFile, shown: str, *, max_bytes: int, parts: set[str] | None = None) -> None:
    """Inflate `parts`, counting and discarding, to refuse them if they really unpack to more than the limit, or
    to more than the sizes their directory (written by whoever made the file) declares: after this, reading any
    of them, even with zipfile's own read() as python-docx does, takes no more memory than open_zip allowed."""
    left = inflate_limit(max_bytes)
    for info in archive.infolist():
        if parts is None or info.filename in parts:
            left -= sum(map(len, _inflate(archive, info, shown, max_bytes=max_bytes, left=left)))


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, *, max_bytes: int, left: int
) -> Iterator[bytes]:
    """A member's bytes a chunk at a time: the one way trendsum reads inside a zipped document.

    zipfile's read() inflates a member whole and only then cuts it to the size its entry declares, so a
    20-byte entry can take gigabytes. Here no more than one chunk is inflated at once, only the declared bytes
    are yielded, and a member is refused if it unpacks to more than `left` (a zip bomb) or than it declares.
    """
    unbounded = copy.copy(info)
    # zipfile stops at the declared size and checks the CRC there: let it read on to the member's real end (and
    # check the CRC there), so that a lying entry is measured rather than cut short
    unbounded.file_size = left + _CHUNK + 1
    size = 0
    try:
        with archive.open(unbounded) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > left:
                    raise _inflates_too_much(shown, max_bytes)
                if size <= info.file_size:
                    yield chunk
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise IngestError(shown, f"is damaged: cannot unpack {info.filename} ({exc})") from None
    if size > info.file_size:
        raise IngestError(shown, f"is damaged: {info.filename} unpacks to {size:,} bytes, more than the "
                                 f"{info.file_size:,} its zip directory declares")  # fmt: skip


def _inflates_too_much(shown: str, max_bytes: int) -> IngestError:
    limit = inflate_limit(max_bytes)
    basis = f"{INFLATE_FACTOR} × --max-bytes" if limit > MIN_INFLATE_LIMIT else "the least trendsum allows"
    return IngestError(shown, f"inflates to more than {limit:,} bytes when unzipped ({basis}), too much for a case "
                              "study (a zip bomb?); if it is a real document, raise --max-bytes")  # fmt: skip


def member(archive: zipfile.ZipFile, name: str, *, shown: str, max_bytes: int) -> bytes:
    """A member's bytes, no more than its entry declares (which open_zip has checked), whatever it really holds."""
    info = archive.getinfo(name)
    return b"".join(_inflate(archive, info, shown, max_bytes=max_bytes, left=inflate_limit(max_bytes)))
