"""The terminal side of interactive review: single key presses and the reviewer's editor."""

from __future__ import annotations

import os
import select
import shlex
import shutil
import subprocess
import sys
import termios
import tty
from pathlib import Path
from typing import TextIO

from rich.console import Console

from ..errors import ReviewError

_ARROWS = {b"\x1b[C": "s", b"\x1bOC": "s", b"\x1b[D": "b", b"\x1bOD": "b"}  # right: skip; left: back


class TerminalKeys:
    """One key press, without Enter, when stdin is a terminal; otherwise a line at a time (pipes, scripts)."""

    def __init__(self, console: Console, stdin: TextIO | None = None) -> None:
        self.console = console
        self.stdin = stdin or sys.stdin
        self.is_tty = self.stdin.isatty()

    def key(self) -> str:
        if not self.is_tty:
            line = self.stdin.readline()
            if not line:
                return ""
            return line.strip()[:1] or "\n"
        fd = self.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            # TCSANOW, not the default TCSAFLUSH: a key typed before the prompt appeared must not be thrown away
            tty.setcbreak(fd, termios.TCSANOW)
            pressed = os.read(fd, 1)
            if pressed == b"\x1b":  # an arrow key sends a short sequence at once; Esc alone sends nothing more
                while select.select([fd], [], [], 0.03)[0]:
                    pressed += os.read(fd, 8)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if pressed in (b"", b"\x04"):  # end of input or Ctrl-D
            self.console.print()
            return ""
        key = _ARROWS.get(pressed) or pressed[:1].decode("utf-8", errors="replace")
        self.console.print(key if key.isprintable() and key.strip() else "", markup=False, highlight=False)
        return key

    def line(self) -> str:
        try:
            return self.stdin.readline().rstrip("\n") if not self.is_tty else input()
        except EOFError:
            return ""


def editor_command() -> list[str]:
    """$VISUAL, then $EDITOR, then nano if it is installed, else vi."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value)
    return ["nano"] if shutil.which("nano") else ["vi"]


def run_editor(path: Path) -> int:
    command = editor_command()
    try:
        return subprocess.run([*command, str(path)], check=False).returncode
    except OSError as exc:
        raise ReviewError(
            f"Cannot start the editor {shlex.join(command)!r} ({exc.strerror or exc}): set $VISUAL or $EDITOR "
            "to an editor you have, e.g. `export EDITOR=nano`."
        ) from None
