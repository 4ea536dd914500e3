from __future__ import annotations

from typing import ClassVar

import pytest

pytest.importorskip("datatrove")

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor

from cleaner.datatrove import CleanerStep

ARTICLE = (
    "The regional water authority said on Tuesday that reservoir levels had recovered after the wet winter.\n"
    "Officials expect no restrictions on household use this summer, although farmers were asked to keep "
    "records of how much they draw from rivers.\n"
)


class Collect(CleanerStep.__mro__[1]):  # a PipelineStep that keeps what reaches it
    name = "collect"
    seen: ClassVar[list] = []

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data:
            Collect.seen.append(doc)
            yield doc


def test_cleaner_step_in_local_executor(tmp_path) -> None:
    docs = [Document(text=ARTICLE, id="a", metadata={"url": "https://example.org/a"}),
            Document(text="<html><body><p>" + ARTICLE + "</p></body></html>", id="b")]
    Collect.seen = []
    LocalPipelineExecutor(pipeline=[docs, CleanerStep(), Collect()], tasks=1,
                          logging_dir=str(tmp_path / "logs")).run()
    assert [d.id for d in Collect.seen] == ["a", "b"]
    meta = Collect.seen[0].metadata["cleaner"]
    assert meta["language"] == "en" and "removed" in meta and "mt_garble" in meta
    assert "<p>" not in Collect.seen[1].text and "reservoir" in Collect.seen[1].text
