"""The Runs panel lists a damaged run folder with the reason, beside the good ones, and a FIFO
where a run's config.json belongs does not stop the listing."""

from __future__ import annotations

import json
import os

from studio_helpers import WAIT_MS

from studio.runs.runs_panel import COLUMNS, RunsPanel

DATASET = {"name": "mnist-5k", "image_shape": [1, 28, 28], "class_names": ["0", "1"]}
CONFIG = {"kind": "cnn", "created": "2026-01-01T00:00:00+00:00", "dataset": DATASET}


def test_a_damaged_run_is_listed_with_its_reason(qtbot, tmp_path):
    runs = tmp_path / "runs"
    (runs / "good").mkdir(parents=True)
    (runs / "good" / "config.json").write_text(json.dumps(CONFIG))
    (runs / "good" / "status.json").write_text(json.dumps({"state": "completed", "step": 9}))
    (runs / "pipe").mkdir()
    os.mkfifo(runs / "pipe" / "config.json")
    (runs / "words").mkdir()
    bad = {**CONFIG, "dataset": {**CONFIG["dataset"], "class_names": 5}}
    (runs / "words" / "config.json").write_text(json.dumps(bad))

    panel = RunsPanel(runs)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 3, timeout=WAIT_MS)
    panel.shutdown()
    status = COLUMNS.index("Status")
    rows = [panel.tree.topLevelItem(i) for i in range(3)]
    shown = {row.text(0): row.text(status) for row in rows}
    assert shown["good"] == "completed"
    assert shown["pipe"] == "damaged: config.json is a FIFO (named pipe), not a regular file"
    assert shown["words"].startswith("damaged: config.json: dataset.class_names must be")
    assert rows[0].text(0) == "good"  # damaged ones come last


def test_comparing_a_run_whose_config_is_a_fifo_reads_nothing(tmp_path):
    from studio.runs.compare import read_config
    from tests.models.hostile_runs import Watchdog

    os.mkfifo(tmp_path / "config.json")
    with Watchdog(tmp_path).watching() as dog:
        assert read_config(str(tmp_path)) == {}
    assert not dog.fired
