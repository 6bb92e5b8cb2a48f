"""Saying in one line how a weights file differs from the model it should fit.

torch's own message lists every differing tensor on a line of its own, dozens for a file saved
with another width; a person needs the first difference and how many more there are.
"""

from __future__ import annotations

from torch import Tensor

from models.kinds.base import ImageModel


def expected_shapes(model: ImageModel) -> dict[str, tuple[int, ...]]:
    """Each tensor the model's weights hold, under the name a weights file uses for it."""
    return {
        f"{net_name}.{key}": tuple(value.shape)
        for net_name, net in model.networks().items()
        for key, value in net.state_dict().items()
    }


def _shape(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def describe_mismatch(model: ImageModel, weights: dict[str, Tensor]) -> str | None:
    """How `weights` differ from what `model` holds, or None when every name and shape fits."""
    expected = expected_shapes(model)
    problems = []
    for name, shape in expected.items():
        if name not in weights:
            problems.append(f"{name} is missing")
        elif tuple(weights[name].shape) != shape:
            found = _shape(tuple(weights[name].shape))
            problems.append(f"{name} is {found} in the file but {_shape(shape)} in the model")
    problems += [f"{name} is not part of the model" for name in weights if name not in expected]
    if not problems:
        return None
    more = len(problems) - 1
    if more == 0:
        return problems[0]
    return problems[0] + (", and 1 more tensor differs" if more == 1 else
                          f", and {more} more tensors differ")  # fmt: skip
