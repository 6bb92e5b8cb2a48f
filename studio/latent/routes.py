"""Where a finished job of the latent page goes, as types rather than parsed strings.

The page's worker (studio/workers/model_tasks.py) keys its queue by a string, so that a newer
job of the same name replaces a waiting one. That string is only a key: what a job is for
travels with its result as an `Outcome`, whose `route` is either one of the page's own jobs
(`PageJob`) or a `ToolJob` naming the tool and the job within it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class PageJob(enum.Enum):
    """The jobs the page itself runs for every tool."""

    OPEN = "open"  # load the run's model
    GALLERY = "gallery"  # the test images end points are picked from
    ANALYSE = "analyse"  # the map, the sliders' order and the class means

    @property
    def key(self) -> str:
        return self.value


@dataclass(frozen=True)
class ToolJob:
    """A job of one tool: `tool` is the tool's key, `job` what it asked for."""

    tool: str
    job: str

    @property
    def key(self) -> str:
        """The worker's queue key: one waiting job per tool and job."""
        return f"{self.tool}:{self.job}"


Route = PageJob | ToolJob


@dataclass(frozen=True)
class Outcome:
    """What a job of the page returns: where it goes, for which opened run, and its value."""

    route: Route
    token: int
    value: Any


def routed(context, route: Route, token: int, job, *args) -> Outcome:
    """Run `job(context, token, *args)` in the worker and label what it returns."""
    return Outcome(route, token, job(context, token, *args))
