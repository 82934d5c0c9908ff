"""Versioned prompt templates from `prompts/`: load, render, hash.

A template is a Markdown file with a `--- system ---` part and a `--- user ---` part. `{{name}}` placeholders
are replaced by plain substitution (case studies contain braces, so str.format is not safe). The hash covers
the file's exact bytes, so any edit to a prompt is a new prompt for caching and provenance.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

DEFAULT_PROMPT = "summarise-v1"
_PART = re.compile(r"^--- (system|user) ---[ \t]*$", re.M)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str
    sha256: str
    path: str

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]

    def render(self, **values: str) -> list[dict[str, str]]:
        """The chat messages for these values; an unknown placeholder is an error, not a silent blank."""

        def fill(template: str) -> str:
            def sub(match: re.Match[str]) -> str:
                key = match.group(1)
                if key not in values:
                    raise ConfigError(f"Prompt {self.name!r} uses {{{{{key}}}}}, which trendsum does not provide.")
                return values[key]

            return _PLACEHOLDER.sub(sub, template)

        return [{"role": "system", "content": fill(self.system)}, {"role": "user", "content": fill(self.user)}]


def prompts_dir() -> Path:
    """`TRENDSUM_PROMPTS`, else `prompts/` in the working folder, else the copy shipped with the package."""
    configured = os.environ.get("TRENDSUM_PROMPTS")
    if configured:
        return Path(configured)
    local = Path("prompts")
    if local.is_dir() and any(local.glob("*.md")):
        return local
    return Path(__file__).parent / "prompt_templates"


def available(directory: Path | None = None) -> list[Prompt]:
    directory = directory or prompts_dir()
    return [load(path.stem, directory) for path in sorted(directory.glob("*.md")) if path.stem.lower() != "readme"]


def load(name: str = DEFAULT_PROMPT, directory: Path | None = None) -> Prompt:
    directory = directory or prompts_dir()
    path = directory / f"{name}.md"
    if not path.is_file():
        names = ", ".join(p.stem for p in sorted(directory.glob("*.md")) if p.stem.lower() != "readme") or "none"
        raise ConfigError(f"No prompt named {name!r} in {directory} (available: {names}).")
    raw = path.read_bytes()
    parts = _PART.split(raw.decode("utf-8"))
    sections = dict(zip(parts[1::2], (p.strip("\n") for p in parts[2::2]), strict=True))
    if set(sections) != {"system", "user"}:
        raise ConfigError(f"Prompt {path} needs a '--- system ---' part and a '--- user ---' part.")
    return Prompt(name, sections["system"], sections["user"], hashlib.sha256(raw).hexdigest(), str(path))
