"""One entry point: no arguments opens the studio; a sub-command runs headless."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("gui", "studio"):
        from studio.app import main as open_studio

        return open_studio(args[1:])
    from studio.cli.main import main as run_command

    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
