"""Every command's --help prints (argparse formats help strings with %, so a stray one in a
help text turns --help into a traceback)."""

from __future__ import annotations

import pytest

from studio.cli.main import build_parser, main


def command_names() -> list[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    return sorted(commands.choices)


def test_the_command_list_is_found():
    assert {"train", "resume", "sample", "classify", "runs"} <= set(command_names())


@pytest.mark.parametrize("command", [None, *command_names()])
def test_help_prints_for_every_command(command, capsys):
    args = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 0
    assert "usage:" in capsys.readouterr().out
