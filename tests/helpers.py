from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from trendsum.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None) -> Any:
    """Invoke the real CLI; stdout and stderr are kept apart as a shell would see them."""
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def approve(*ids: str) -> None:
    """Accept records as a reviewer would, ungrounded points and all: for tests about what comes after."""
    for record_id in ids:
        result = run("review", "accept", record_id, "-r", "A. Researcher", "--allow-ungrounded")
        assert result.exit_code == 0, result.stderr


def word_report(path: Path, *args: str) -> Any:
    """`trendsum export -f docx` to `path`, read back with python-docx."""
    import docx

    result = run("export", "-f", "docx", "-o", str(path), *args)
    assert result.exit_code == 0, result.stderr
    return docx.Document(str(path))
