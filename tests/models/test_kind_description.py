"""The registry's plain-data description of each kind, which the studio derives its choosers
and messages from."""

from __future__ import annotations

import subprocess
import sys

from models.kinds.base import Capability
from models.kinds.description import (
    CLASSIFIER,
    ENCODER,
    LATENT_SPACE,
    TRAINABLE,
    KindDescription,
    describe_registered,
    titles_with,
)
from models.kinds.registry import KINDS


def test_every_registered_kind_is_described_by_its_capabilities():
    descriptions = describe_registered()
    assert list(descriptions) == list(KINDS)
    for name, cls in KINDS.items():
        described = descriptions[name]
        assert described.kind == name and described.title == cls.title
        assert TRAINABLE in described.roles
        assert described.has(LATENT_SPACE) == bool(cls.capabilities & Capability.GENERATE)
        assert described.has(ENCODER) == bool(cls.capabilities & Capability.ENCODE)
        assert described.has(CLASSIFIER) == bool(cls.capabilities & Capability.CLASSIFY)
        assert (described.latent_layout != "") == described.has(LATENT_SPACE)
        assert described.decode_passes in ("one", "many")
        assert described.metric == cls.primary_metric.name


def _description(title: str, *roles: str) -> KindDescription:
    return KindDescription(title.lower(), title, "", frozenset(roles), "", "one", True,
                           "loss", False, False, 1)  # fmt: skip


def test_titles_with_a_role_read_as_a_phrase():
    kinds = [_description("A", ENCODER), _description("B"), _description("C", ENCODER),
             _description("D", ENCODER)]  # fmt: skip
    assert titles_with(kinds, ENCODER) == "A, C or D"
    assert titles_with(kinds[:1], ENCODER) == "A"
    assert titles_with(kinds[1:2], ENCODER) == ""


def test_reading_descriptions_does_not_import_torch():
    # The studio's GUI thread holds descriptions; importing their module must stay cheap.
    code = "import sys, models.kinds.description; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
