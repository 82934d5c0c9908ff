"""Commands write to the consoles they are given: one pair per invocation, errors included."""

from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from trendsum.cli import app
from trendsum.cli.common import Consoles


def given() -> tuple[Consoles, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    consoles = Consoles(out=Console(file=out, width=100, color_system=None),
                        err=Console(file=err, width=100, color_system=None))  # fmt: skip
    return consoles, out, err


def test_a_commands_output_and_its_error_go_to_the_consoles_it_was_given() -> None:
    consoles, out, err = given()
    listed = CliRunner().invoke(app, ["prompts"], obj=consoles, catch_exceptions=False)
    assert listed.exit_code == 0 and "summarise-v1" in out.getvalue() and listed.stdout == ""
    assert "To change a prompt" in err.getvalue()

    consoles, out, err = given()
    failed = CliRunner().invoke(app, ["summarise", "nowhere", "--engine", "magic"], obj=consoles,
                                catch_exceptions=False)  # fmt: skip
    assert failed.exit_code == 2 and failed.stderr == ""
    assert err.getvalue().startswith("Error: Unknown engine 'magic' from --engine")


def test_without_consoles_given_a_command_writes_to_the_terminals_streams() -> None:
    result = CliRunner().invoke(app, ["summarise", "nowhere", "--engine", "magic"], catch_exceptions=False)
    assert result.exit_code == 2 and result.stderr.startswith("Error: Unknown engine 'magic'")
