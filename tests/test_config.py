"""Settings: flags beat environment beat the config file; keys never come from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from trendsum import config
from trendsum.errors import ConfigError


def test_precedence_flags_then_environment_then_file(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("trendsum.toml").write_text('model = "from-file"\nconcurrency = 3\nmode = "tools"\n', encoding="utf-8")
    assert config.load().model == "from-file"
    monkeypatch.setenv("TRENDSUM_MODEL", "from-env")
    settings = config.load()
    assert (settings.model, settings.concurrency, settings.mode) == ("from-env", 3, "tools")
    assert config.load({"model": "from-flag", "concurrency": None}).model == "from-flag"
    assert "model=TRENDSUM_MODEL" in settings.sources


def test_pyproject_tool_table_is_read_when_there_is_no_trendsum_toml() -> None:
    Path("pyproject.toml").write_text('[project]\nname = "x"\n[tool.trendsum]\nmax-attempts = 5\n', encoding="utf-8")
    assert config.load().max_attempts == 5


def test_a_key_in_a_file_is_refused_with_what_to_do() -> None:
    Path("trendsum.toml").write_text('api_key = "abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="keys never go in files"):
        config.load()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("modle = 'x'\n", "unknown setting"),
        ("concurrency = 'many'\n", "must be a number"),
        ("engine = 'magic'\n", "Unknown engine"),
        ("concurrency = 0\n", "at least 1"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_settings_say_what_is_wrong(content: str, message: str) -> None:
    Path("trendsum.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        config.load()


def test_auto_engine_is_offline_without_key_or_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.load().resolved_engine() == "offline"
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    assert config.load().resolved_engine() == "openai"
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("MY_KEY", "k")
    assert config.load({"api_key_env": "MY_KEY"}).resolved_engine() == "openai"
