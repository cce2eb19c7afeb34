"""docs/tutorial.md, run as written: every command of its ``sh`` blocks, in order, in a fresh
folder, and the output it shows (the lines of the ``text`` block that follows a command block,
``...`` standing for lines left out) checked against what the commands print."""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from dunning.cli import main
from test_smtp import Loopback, Recorder

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"```(sh|text)\n(.*?)```", re.S)


def test_the_example_files_are_what_make_tutorial_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_tutorial", ROOT / "examples/make_tutorial.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, data in module.files().items():
        assert (ROOT / "examples" / "tutorial" / name).read_bytes() == data, name


def _steps() -> list[tuple[list[str], list[str]]]:
    """The tutorial's command blocks, each with the output lines shown after it."""
    text = TUTORIAL.read_text(encoding="utf-8")
    steps: list[tuple[list[str], list[str]]] = []
    blocks = list(BLOCK.finditer(text))
    for n, block in enumerate(blocks):
        if block.group(1) != "sh":
            continue
        commands = [line for line in block.group(2).splitlines() if line.strip()]
        shown: list[str] = []
        after = blocks[n + 1] if n + 1 < len(blocks) else None
        if after is not None and after.group(1) == "text":
            between = text[block.end() : after.start()]
            if not between.strip():
                shown = [line for line in after.group(2).splitlines() if line.strip()]
        steps.append((commands, shown))
    return steps


def test_the_tutorial_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    server = Recorder()
    smtp = Loopback(server)
    smtp.start()
    try:
        ran = 0
        for commands, shown in _steps():
            printed = ""
            for command in commands:
                if "pip install" in command:
                    continue  # the test runs in the installed project
                command = command.replace("127.0.0.1:8025", f"127.0.0.1:{smtp.port}")
                argv = shlex.split(command, comments=True)
                if argv[0] == "cp":
                    for source in glob.glob(argv[1]):
                        shutil.copy(source, argv[2])
                    continue
                assert argv[0] == "dunning", command
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stderr(err):
                    status = main(argv[1:], out)
                assert status == 0, f"{command}\n{out.getvalue()}\n{err.getvalue()}"
                printed += out.getvalue().replace("\xa0", " ").replace("\u202f", " ")
                ran += 1
            for line in shown:
                if line.strip() != "...":
                    assert line in printed, (
                        f"the tutorial shows {line!r}; the commands printed:\n{printed}"
                    )
        assert ran >= 8
    finally:
        smtp.stop()
    # the end of the tutorial: a reviewed outbox, sent once
    assert len(server.messages) == 2
    assert sorted(p.name for p in (tmp_path / "crediti" / "einvoices").iterdir())[0].endswith(
        "2026-0101.xml"
    )
