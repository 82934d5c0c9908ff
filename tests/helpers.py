from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from trendsum.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None) -> Any:
    """Invoke the real CLI; stdout and stderr are kept apart as a shell would see them."""
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
