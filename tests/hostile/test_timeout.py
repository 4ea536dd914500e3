"""The per-document timeout ends the document, however deep in the pipeline it fires."""

from __future__ import annotations

import time

import cleaner.pipeline as pipeline
from cleaner.config import Config
from cleaner.pipeline import Cleaner
from cleaner.runner import process_task

from ._gen import ARTICLE


def test_timeout_inside_a_stage_is_not_swallowed_by_the_pipeline(monkeypatch) -> None:
    ran: list[str] = []

    def hang(self, doc, config) -> None:
        ran.append(self.name)
        time.sleep(30)  # a stage stuck on a hostile page

    monkeypatch.setattr(pipeline.LanguageStage, "run", hang)
    monkeypatch.setattr(pipeline.GarbleStage, "run", hang)
    c = Cleaner(Config(timeout=0.2))
    rec = process_task(c, ("record", {"id": "stuck", "text": ARTICLE}, None))
    assert rec["error"]["type"] == "DocumentTimeout" and rec["id"] == "stuck"
    # The first hang ends the document: the later stages do not run without an alarm set.
    assert ran == ["language"]
    rec = process_task(c, ("doc", "d.txt", ARTICLE.encode(), False))
    assert rec["error"]["type"] == "DocumentTimeout" and rec["id"] == "d.txt"
