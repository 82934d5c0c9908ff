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
from importlib import resources
from pathlib import Path

from .config import DEFAULT_PROMPT
from .errors import ConfigError

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

    @property
    def placeholders(self) -> frozenset[str]:
        """The names the template uses: what it asks of trendsum (`case_sentences`: the case as numbered
        sentences, to be cited by id; `schema`: the answer's schema in the prompt itself)."""
        return frozenset(_PLACEHOLDER.findall(self.system + self.user))

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


def shipped_dir() -> Path:
    """The templates that come with trendsum: `trendsum/prompt_templates` in an installed package (the build
    copies the repository's `prompts/` there); in a source checkout installed with `-e`, `prompts/` itself."""
    packaged = resources.files("trendsum") / "prompt_templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "prompts"


def search_path(directory: Path | None = None) -> list[Path]:
    """Where templates are looked for, first match wins: `directory` alone when given; else `TRENDSUM_PROMPTS`
    or `prompts/` in the working folder (a team's own versions), then the shipped templates."""
    if directory is not None:
        return [directory]
    configured = os.environ.get("TRENDSUM_PROMPTS")
    local = Path(configured) if configured else Path("prompts")
    shipped = shipped_dir()
    if local.is_dir() and local.resolve() != shipped.resolve():
        return [local, shipped]
    if configured and not local.is_dir():
        raise ConfigError(f"TRENDSUM_PROMPTS names {local}, which is not a folder.")
    return [shipped]


def _names(directory: Path) -> list[Path]:
    return [p for p in sorted(directory.glob("*.md")) if p.stem.lower() != "readme"]


def available(directory: Path | None = None) -> list[Prompt]:
    """Every template, a name found in an earlier folder of the search path hiding the same name later on.
    No template at all is an error: a tool without prompts cannot summarise with an LLM."""
    folders = search_path(directory)
    found: dict[str, Path] = {}
    for folder in folders:
        for path in _names(folder):
            found.setdefault(path.stem, path)
    if not found:
        raise ConfigError(f"No prompt templates in {' or '.join(str(f) for f in folders)}: the installation is "
                          "incomplete, or --dir names the wrong folder.")  # fmt: skip
    return [_read(name, path) for name, path in sorted(found.items())]


def load(name: str = DEFAULT_PROMPT, directory: Path | None = None) -> Prompt:
    folders = search_path(directory)
    for folder in folders:
        path = folder / f"{name}.md"
        if path.is_file():
            return _read(name, path)
    names = sorted({p.stem for folder in folders for p in _names(folder)})
    where = " or ".join(str(f) for f in folders)
    raise ConfigError(f"No prompt named {name!r} in {where} (available: {', '.join(names) or 'none'}).")


def _read(name: str, path: Path) -> Prompt:
    raw = path.read_bytes()
    try:
        parts = _PART.split(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"Prompt {path} is not UTF-8 text.") from None
    sections = dict(zip(parts[1::2], (p.strip("\n") for p in parts[2::2]), strict=True))
    if set(sections) != {"system", "user"}:
        raise ConfigError(f"Prompt {path} needs a '--- system ---' part and a '--- user ---' part.")
    return Prompt(name, sections["system"], sections["user"], hashlib.sha256(raw).hexdigest(), str(path))
