from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
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


ROOT = Path(__file__).resolve().parent.parent


def load_script(relative: str) -> ModuleType:
    """A script of the repository (`scripts/train_sections.py`, `bench/eval_inventory.py`) imported as a module of
    its own name, so its functions can be tested; registered in sys.modules, as its dataclasses look it up there."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
