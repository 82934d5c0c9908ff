"""Settings from flags, environment and a config file, in that order of precedence.

The config file is `trendsum.toml` in the working folder, or the `[tool.trendsum]` table of `pyproject.toml`.
API keys are never read from the file and never stored: only the *name* of the variable that holds one is.
A config file comes with the folder (a cloned repository, say), so it is untrusted: it may only name key
variables ending in `_API_KEY`, and every value is checked for its type and range before anything runs.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError

DEFAULT_DB = Path("outputs") / "trendsum.db"  # the review queue, relative to the working folder
DEFAULT_PROMPT = "summarise-v2"

MODES = ("auto", "json_schema", "tools", "json_object", "json")
# Bounds on numbers whose huge values cost memory or time: each call in flight holds a case and a connection,
# each attempt adds the whole answer and its errors to the conversation.
LIMITS: dict[str, tuple[int, int | None]] = {
    "concurrency": (1, 256),
    "max_attempts": (1, 20),
    "max_retries": (0, 20),
    "max_bytes": (1, 1024**3),
    "max_input_tokens": (1, None),
    "max_output_tokens": (1, None),
}


@dataclass(frozen=True)
class Origin:
    """Where a setting's value came from: a config file, an environment variable or a command-line flag."""

    kind: Literal["file", "env", "flag"]
    name: str  # "trendsum.toml", "TRENDSUM_MODEL", "--model"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Settings:
    db: Path = DEFAULT_DB
    engine: str = "auto"
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    mode: str = "auto"
    prompt: str = DEFAULT_PROMPT
    concurrency: int = 8
    max_attempts: int = 3
    max_retries: int = 4
    timeout: float = 120.0
    max_input_tokens: int = 24_000
    max_output_tokens: int = 4_096
    max_bytes: int = 20 * 1024 * 1024
    max_cost: float | None = None
    language: str = "en"
    reviewer: str | None = None
    prices: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> {"input": $/1M, "output": $/1M}
    origins: dict[str, Origin] = field(default_factory=dict)  # each non-default value's origin

    @property
    def api_key(self) -> str | None:
        """The key, read from the environment at the moment it is needed; never kept in a file or record."""
        return os.environ.get(self.api_key_env) or None

    @property
    def sources(self) -> tuple[str, ...]:
        """`key=origin` for each non-default value, for `doctor`."""
        return tuple(f"{key}={self.origins[key]}" for key in sorted(self.origins))

    def origin(self, key: str) -> Origin | None:
        """Where `key` came from; None when it is the default."""
        return self.origins.get(key)

    def endpoint_origin(self) -> str | None:
        """The config file that chose the endpoint, so the user is told before a folder's file sends its cases
        (and a key) to a server they never named; None when the endpoint is the default, a flag or the env."""
        origin = self.origins.get("base_url")
        return origin.name if origin is not None and origin.kind == "file" else None


_ENV = {
    "TRENDSUM_DB": "db",
    "TRENDSUM_ENGINE": "engine",
    "TRENDSUM_MODEL": "model",
    "OPENAI_BASE_URL": "base_url",
    "TRENDSUM_BASE_URL": "base_url",
    "TRENDSUM_MODE": "mode",
    "TRENDSUM_PROMPT": "prompt",
    "TRENDSUM_CONCURRENCY": "concurrency",
    "TRENDSUM_MAX_ATTEMPTS": "max_attempts",
    "TRENDSUM_TIMEOUT": "timeout",
    "TRENDSUM_LANGUAGE": "language",
    "TRENDSUM_REVIEWER": "reviewer",
}
_SETTABLE = {f.name for f in fields(Settings)} - {"origins"}
_KEY_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*_API_KEY")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def load(
    flags: dict[str, Any] | None = None, cwd: Path | None = None, *, engines: Collection[str] | None = None
) -> Settings:
    """Defaults, then the config file, then the environment, then flags that were given (not None).

    Every value given is checked, even one a later layer overrides: a broken config file is reported as such.
    `engines` is what `engine` may be (the engines registry's names, with auto); config cannot import the
    registry, so a caller that does not pass it leaves the name to be checked when the engine is resolved.
    """
    cwd = cwd or Path.cwd()
    layers: list[tuple[str, Any, Origin]] = []
    file_values, file_name = _file_settings(cwd)
    layers += [(key, value, Origin("file", file_name)) for key, value in file_values.items()]
    layers += [(key, os.environ[env], Origin("env", env)) for env, key in _ENV.items() if os.environ.get(env)]
    layers += [(key, value, Origin("flag", f"--{key.replace('_', '-')}"))
               for key, value in (flags or {}).items() if value is not None]  # fmt: skip
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for key, value, origin in layers:
        values[key], origins[key] = _coerce(key, value, origin), origin
        if key == "engine" and engines is not None and values[key] not in engines:
            raise unknown_engine(values[key], origin, engines)
    _check_key_variable(values.get("api_key_env"), origins.get("api_key_env"))
    return Settings(**values, origins=origins)


def _file_settings(cwd: Path) -> tuple[dict[str, Any], str]:
    own = cwd / "trendsum.toml"
    if own.is_file():
        return _parse(own, lambda data: data), own.name
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        table = _parse(pyproject, _tool_table)
        if table:
            return table, "pyproject.toml (tool.trendsum)"
    return {}, ""


def _tool_table(data: dict[str, Any]) -> dict[str, Any]:
    tool = data.get("tool", {})
    table = tool.get("trendsum", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError('pyproject.toml: tool.trendsum must be a table of settings, such as model = "...".')
    return table


def _parse(path: Path, pick: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    try:
        data = pick(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    clean = {k.replace("-", "_"): v for k, v in data.items()}
    if "api_key" in clean:
        raise ConfigError(
            f"{path} holds an API key: keys never go in files. Remove it and set OPENAI_API_KEY "
            "(or name another variable with api_key_env)."
        )
    unknown = sorted(set(clean) - _SETTABLE)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_SETTABLE))}.")
    return clean


def _show(value: Any) -> str:
    """A value as an error message may quote it: typed (so 5 and '5' differ), escaped and short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _coerce(key: str, value: Any, origin: Origin) -> Any:
    if key in LIMITS:
        return _bounded(key, _whole_number(key, value, origin), origin)
    if key in ("timeout", "max_cost"):
        number = _number(key, value, origin)
        if key == "timeout" and number <= 0:
            raise ConfigError(f"timeout from {origin} must be more than 0 seconds, not {_show(value)}.")
        if key == "max_cost" and number < 0:
            raise ConfigError(f"max_cost from {origin} must be 0 or more, not {_show(value)}.")
        return number
    if key == "prices":
        return _prices(value, origin)
    if key == "db":
        if isinstance(value, Path):
            return value
        return Path(_text(key, value, origin))
    text = _text(key, value, origin, empty_ok=key in ("base_url", "reviewer"))
    if key in ("base_url", "reviewer") and not text.strip():
        return None
    if key == "mode" and text not in MODES:
        raise ConfigError(f"Unknown mode {text!r} from {origin}: choose one of {', '.join(MODES)}.")
    if key == "language" and not _LANGUAGE_TAG.fullmatch(text):
        raise ConfigError(f"language from {origin} must be a language code such as en or nl, not {_show(text)}.")
    if key == "base_url" and not re.match(r"https?://[^/?#\s]", text):
        raise ConfigError(f"base_url from {origin} must be an http:// or https:// address, not {_show(text)}.")
    return text


def unknown_engine(name: str, origin: object, known: Collection[str]) -> ConfigError:
    return ConfigError(f"Unknown engine {name!r} from {origin}: choose one of {', '.join(known)}.")


def _text(key: str, value: Any, origin: Origin, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key} in {origin} must be text (a quoted string), not {_show(value)}.")
    if _CONTROL.search(value):
        raise ConfigError(f"{key} in {origin} contains control characters: {_show(value)}.")
    if not value.strip() and not empty_ok:
        raise ConfigError(f"{key} in {origin} must not be empty.")
    return value


def _whole_number(key: str, value: Any, origin: Origin) -> int:
    """An int, or text or a float that is one exactly: 1.9 concurrency is a mistake, not 1; True is not 1."""
    number: Any = value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            number = _float_or_none(value)
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    if isinstance(number, float) and number.is_integer():
        return int(number)
    raise ConfigError(f"{key} in {origin} must be a whole number, not {_show(value)}.")


def _number(key: str, value: Any, origin: Origin) -> float:
    number = _float_or_none(value) if isinstance(value, str) else value
    if isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number):
        return float(number)
    raise ConfigError(f"{key} in {origin} must be a number such as 2.5, not {_show(value)}.")


def _float_or_none(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _bounded(key: str, number: int, origin: Origin) -> int:
    low, high = LIMITS[key]
    if number < low:
        raise ConfigError(f"{key} from {origin} must be at least {low}, not {number}.")
    if high is not None and number > high:
        raise ConfigError(f"{key} from {origin} is {number:,}; the most trendsum allows is {high:,}.")
    return number


def _prices(value: Any, origin: Origin) -> dict[str, dict[str, float]]:
    """`[prices."model"]` tables of `input` and `output` US dollars per million tokens, both required."""
    if not isinstance(value, dict):
        raise ConfigError(f'prices in {origin} must be a table per model, such as prices."gpt-4o-mini" = '
                          f"{{ input = 0.15, output = 0.6 }} (dollars per million tokens), "
                          f"not {_show(value)}.")  # fmt: skip
    prices: dict[str, dict[str, float]] = {}
    for model, table in value.items():
        where = f"prices.{_show(model)}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} in {origin} must be a table with input = ... and output = ..., "
                              f"not {_show(table)}.")  # fmt: skip
        missing = [part for part in ("input", "output") if part not in table]
        extra = sorted(_show(key) for key in set(table) - {"input", "output"})
        if missing or extra:
            problem = f"needs {' and '.join(missing)}" if missing else f"has unknown key(s) {', '.join(extra)}"
            raise ConfigError(f"{where} in {origin} {problem}: give input = ... and output = ... "
                              "(dollars per million tokens).")  # fmt: skip
        prices[model] = {}
        for part in ("input", "output"):
            number = _number(f"{where} {part}", table[part], origin)
            if number < 0:
                raise ConfigError(f"{where} {part} in {origin} must be 0 or more, not {_show(table[part])}.")
            prices[model][part] = number
    return prices


def _check_key_variable(name: str | None, origin: Origin | None) -> None:
    """A folder's config file must not pick which secret is sent: only `*_API_KEY` variables, not GITHUB_TOKEN."""
    if name is None or origin is None or origin.kind != "file" or _KEY_VARIABLE.fullmatch(name):
        return
    raise ConfigError(
        f"{origin} sets api_key_env = {_show(name)}: a config file may only name a variable ending in _API_KEY, "
        f"so that a folder cannot send your other secrets to a server. Remove it from {origin} and pass "
        f"--api-key-env {name} on the command line if you mean it."
    )
