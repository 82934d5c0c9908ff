"""What every reader is: a kind, the suffixes it claims, and a function from a file's bytes to Markdown-ish text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # --max-bytes unless told otherwise


@dataclass(frozen=True)
class Reading:
    """What a reader made of a file: its text, anything the reader had to guess, and whether the text may start
    with `---` front matter (plain text may; a Word document's first lines are never metadata)."""

    text: str
    warnings: tuple[str, ...] = ()
    front_matter: bool = False


class ReadFunction(Protocol):
    def __call__(self, raw: bytes, shown: str, *, max_bytes: int) -> Reading:
        """Read `raw` (the bytes of the file shown to people as `shown`), or raise IngestError saying why not."""
        ...


@dataclass(frozen=True)
class Reader:
    """One input format. `label` is how messages name it ("save it as .docx", "export it as PDF"); `sniff`
    recognises the format from its first bytes, for what arrives on standard input without a name."""

    kind: str
    suffixes: tuple[str, ...]
    read: ReadFunction
    sniff: Callable[[bytes], bool] | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not self.suffixes or any(not s.startswith(".") or s != s.lower() for s in self.suffixes):
            raise ValueError(f"reader {self.kind!r}: suffixes must be lower case and start with a dot")
        if not self.label:
            object.__setattr__(self, "label", self.suffixes[0])
