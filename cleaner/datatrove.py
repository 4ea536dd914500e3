"""A datatrove pipeline step that runs cleaner (optional extra ``cleaner[datatrove]``).

``CleanerStep`` rewrites ``Document.text`` with the cleaned article and puts
the record's fields into ``Document.metadata`` (under ``metadata_key``), so a
datatrove pipeline gets boilerplate removal, language, garble score and the
list of removed spans without leaving datatrove::

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from cleaner.datatrove import CleanerStep

    LocalPipelineExecutor(pipeline=[JsonlReader("in/"), CleanerStep(), JsonlWriter("out/")],
                          tasks=4).run()

Documents whose cleaning fails keep their text and get ``error`` in the
metadata; with ``drop_errors=True`` they are dropped and counted instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from .config import Config

FIELDS = ("language", "language_score", "script", "languages", "metadata", "removed", "mt_garble", "encoding",
          "cleaner_version", "error")


class CleanerStep(PipelineStep):
    """Clean each document's text (HTML when ``html=True`` or sniffed) and record what changed."""

    name = "cleaner"
    type = "Formatter"

    def __init__(self, config: Config | None = None, *, html: bool | None = None,
                 metadata_key: str = "cleaner", drop_errors: bool = False) -> None:
        super().__init__()
        self.config = config or Config()
        self.html = html
        self.metadata_key = metadata_key
        self.drop_errors = drop_errors

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        from .pipeline import clean

        for doc in data or ():
            self.stat_update("total")
            with self.track_time():
                rec: dict[str, Any] = clean(doc.text, html=self.html, config=self.config, id=doc.id,
                                            url=doc.metadata.get("url")).to_record()
            if rec.get("error"):
                self.stat_update("errors")
                if self.drop_errors:
                    continue
            else:
                doc.text = rec["text"]
            if (rec.get("mt_garble") or {}).get("flagged"):
                self.stat_update("garble_flagged")
            self.stat_update("removed_spans", value=len(rec.get("removed") or ()))
            doc.metadata[self.metadata_key] = {k: rec[k] for k in FIELDS if k in rec}
            self.stat_update("forwarded")
            yield doc
