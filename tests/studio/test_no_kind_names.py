"""The studio derives every chooser, message and refusal from the registry's descriptions:
no registered kind's name appears in a string of studio/, so a new kind needs no studio edit."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from models.kinds.registry import KINDS

STUDIO = Path(__file__).resolve().parents[2] / "studio"


def strings_naming_a_kind(source: str) -> list[tuple[int, str]]:
    names = set(KINDS)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = set(re.findall(r"[a-z0-9]+", node.value.lower()))
            if words & names:
                found.append((node.lineno, node.value))
    return found


def test_the_check_finds_a_kind_name_in_a_message():
    name = next(iter(KINDS))
    assert strings_naming_a_kind(f'x = "Choose a {name.upper()} run"\n')
    assert not strings_naming_a_kind('x = "Choose a run with a latent space"\n')


def test_no_kind_name_is_a_string_in_the_studio():
    offenders = []
    for path in sorted(STUDIO.rglob("*.py")):
        for line, text in strings_naming_a_kind(path.read_text()):
            offenders.append(f"{path.relative_to(STUDIO.parent)}:{line}: {text[:70]!r}")
    assert not offenders, "kind names in studio strings:\n" + "\n".join(offenders)
