"""Optional input/output formats: Parquet (pyarrow) and WARC (warcio).

Both are optional extras (``pip install 'cleaner[parquet]'`` / ``'cleaner[warc]'``);
a missing package gives an error that names the install command.  Both read
in bounded batches, so memory stays flat on files of any size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .io import InputError

PARQUET_BATCH_ROWS = 512


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise InputError(f"this needs the optional package {module.split('.')[0]!r}: "
                         f"pip install 'cleaner[{extra}]'") from e


def iter_parquet_tasks(path: str | Path) -> Iterator[tuple[Any, ...]]:
    """One ``("record", row, None)`` task per row of a Parquet file, read in row batches."""
    pq = _need("pyarrow.parquet", "parquet")
    try:
        pf = pq.ParquetFile(str(path))
    except Exception as e:  # pyarrow raises its own ArrowInvalid / OSError types
        raise InputError(f"{path}: not a readable Parquet file: {e}") from e
    for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        for row in batch.to_pylist():
            yield ("record", row, None)


class ParquetOutput:
    """Write records to Parquet atomically (``OUT.partial``, then renamed).

    Parquet needs one schema for the whole file, while records vary (metadata
    keys, ``error`` only on failures): every column is a string, nested values
    (``metadata``, ``removed``, ``mt_garble``, ...) are JSON text.  Columns are
    the union of the first batch's fields; later unseen fields go into ``extra``.
    """

    def __init__(self, target: str | Path) -> None:
        self.pa = _need("pyarrow", "parquet")
        self.pq = _need("pyarrow.parquet", "parquet")
        self.target = Path(target)
        self.partial = self.target.with_name(self.target.name + ".partial")
        self.done_lines = 0
        self._rows: list[dict[str, Any]] = []
        self._columns: list[str] | None = None
        self._writer: Any = None

    @staticmethod
    def _cell(value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def write_record(self, record: dict[str, Any]) -> None:
        self._rows.append(record)
        if len(self._rows) >= PARQUET_BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        if self._columns is None:
            cols: dict[str, None] = {}
            for r in self._rows:
                cols.update(dict.fromkeys(r))
            self._columns = [*cols, "extra"]
            schema = self.pa.schema([(c, self.pa.string()) for c in self._columns])
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._writer = self.pq.ParquetWriter(str(self.partial), schema, compression="zstd")
        assert self._columns is not None
        known = set(self._columns)
        data: dict[str, list[str | None]] = {c: [] for c in self._columns}
        for r in self._rows:
            extra = {k: v for k, v in r.items() if k not in known}
            for c in self._columns[:-1]:
                data[c].append(self._cell(r.get(c)))
            data["extra"].append(json.dumps(extra, ensure_ascii=False) if extra else None)
        self._writer.write_table(self.pa.table(data, schema=self._writer.schema))
        self._rows = []

    def flush(self) -> None:
        """Parquet row groups are written per batch; nothing to hand over per record."""

    def commit(self) -> None:
        import os

        self._flush()
        if self._writer is None:  # no records: still write a valid, empty file
            schema = self.pa.schema([("id", self.pa.string()), ("text", self.pa.string())])
            self._writer = self.pq.ParquetWriter(str(self.partial), schema)
        self._writer.close()
        os.replace(self.partial, self.target)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()


def iter_warc_tasks(path: str | Path, max_bytes: int) -> Iterator[tuple[Any, ...]]:
    """One ``("doc", ...)`` task per HTML/text *response* record of a WARC(.gz) file.

    The HTTP ``Content-Type`` charset is passed as the decoding hint (used unless
    the bytes prove it wrong) and the target URI becomes ``metadata.url``.
    Requests, metadata records and non-text responses (images, PDFs) are skipped:
    they hold no article.
    """
    warcio = _need("warcio.archiveiterator", "warc")
    try:
        stream = open(path, "rb")
    except OSError as e:
        raise InputError(f"cannot open {path}: {e.strerror or e}") from e
    with stream:
        try:
            for rec in warcio.ArchiveIterator(stream):
                if rec.rec_type != "response" or rec.http_headers is None:
                    continue
                ctype = (rec.http_headers.get_header("Content-Type") or "").lower()
                if ctype and not any(t in ctype for t in ("html", "text/plain", "xml")):
                    continue
                charset = None
                if "charset=" in ctype:
                    charset = ctype.split("charset=", 1)[1].split(";")[0].strip(" \"'") or None
                url = rec.rec_headers.get_header("WARC-Target-URI")
                rid = rec.rec_headers.get_header("WARC-Record-ID") or url
                data = rec.content_stream().read(max_bytes + 1)
                is_html = "html" in ctype or "xml" in ctype or (None if not ctype else False)
                yield ("doc", rid, data, is_html, {"encoding": charset, "url": url})
        except Exception as e:  # warcio raises plain exceptions on corrupt archives
            yield ("record", None, f"{path}: WARC archive is corrupt or truncated: {e}")
