"""Settings from flags, environment and a config file, in that order of precedence.

The config file is `trendsum.toml` in the working folder, or the `[tool.trendsum]` table of `pyproject.toml`.
API keys are never read from the file and never stored: only the *name* of the variable that holds one is.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .prompts import DEFAULT_PROMPT
from .store import DEFAULT_DB

ENGINES = ("auto", "offline", "openai")
MODES = ("auto", "json_schema", "tools", "json_object", "json")


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
    sources: tuple[str, ...] = ()  # where each non-default value came from, for `doctor`

    @property
    def api_key(self) -> str | None:
        """The key, read from the environment at the moment it is needed; never kept in a file or record."""
        return os.environ.get(self.api_key_env) or None

    def resolved_engine(self) -> str:
        """`auto` means the OpenAI-compatible engine when a key or a base URL is configured, else offline."""
        if self.engine != "auto":
            return self.engine
        return "openai" if (self.api_key or self.base_url) else "offline"


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
_FIELDS = {f.name: f for f in fields(Settings)}


def load(flags: dict[str, Any] | None = None, cwd: Path | None = None) -> Settings:
    """Defaults, then the config file, then the environment, then flags that were given (not None)."""
    cwd = cwd or Path.cwd()
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    file_values, file_name = _file_settings(cwd)
    for key, value in file_values.items():
        values[key], origin[key] = value, file_name
    for env, key in _ENV.items():
        if os.environ.get(env):
            values[key], origin[key] = os.environ[env], env
    for key, value in (flags or {}).items():
        if value is not None:
            values[key], origin[key] = value, f"--{key.replace('_', '-')}"
    settings = Settings(**{k: _coerce(k, v, origin[k]) for k, v in values.items()})
    settings = replace(settings, sources=tuple(f"{k}={origin[k]}" for k in sorted(origin)))
    _validate(settings)
    return settings


def _file_settings(cwd: Path) -> tuple[dict[str, Any], str]:
    own = cwd / "trendsum.toml"
    if own.is_file():
        return _parse(own, lambda data: data), str(own.name)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        table = _parse(pyproject, lambda data: data.get("tool", {}).get("trendsum", {}))
        if table:
            return table, "pyproject.toml [tool.trendsum]"
    return {}, ""


def _parse(path: Path, pick: Any) -> dict[str, Any]:
    try:
        data = pick(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    clean = {k.replace("-", "_"): v for k, v in data.items()}
    if "api_key" in clean:
        raise ConfigError(
            f"{path} holds an API key: keys never go in files. Remove it and set OPENAI_API_KEY "
            "(or name another variable with api_key_env)."
        )
    unknown = sorted(set(clean) - set(_FIELDS) - {"sources"})
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}.")
    return clean


def _coerce(key: str, value: Any, origin: str) -> Any:
    kind = _FIELDS[key].type
    try:
        if key == "db":
            return Path(value)
        if kind in ("int", int):
            return int(value)
        if kind in ("float", float) or kind == "float | None":
            return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} from {origin} must be a number, not {value!r}.") from None
    return value


def _validate(settings: Settings) -> None:
    if settings.engine not in ENGINES:
        raise ConfigError(f"Unknown engine {settings.engine!r}: choose one of {', '.join(ENGINES)}.")
    if settings.mode not in MODES:
        raise ConfigError(f"Unknown mode {settings.mode!r}: choose one of {', '.join(MODES)}.")
    for name in ("concurrency", "max_attempts", "max_bytes", "max_input_tokens", "max_output_tokens"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name} must be at least 1.")
    if settings.max_retries < 0 or settings.timeout <= 0:
        raise ConfigError("max_retries must be 0 or more and timeout more than 0.")
