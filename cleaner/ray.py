"""Run cleaner on Ray when one machine is not enough (optional extra ``cleaner[ray]``).

Two entry points:

- :func:`run_tasks_ray` backs ``cleaner clean ... --engine ray [--address ADDR]``:
  the driver reads the inputs as usual, ships batches of tasks to Ray workers
  and writes the records in input order, with a bounded number of batches in
  flight.  Workers run the very same :func:`cleaner.runner.process_task` as a
  local run, so the output is the same, byte for byte.
- :func:`clean_dataset` cleans an existing Ray Data dataset with
  ``map_batches``, for users who already have one.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from .config import Config
from .runner import BATCH_DOCS, Task, _batches, fill_window

# Nested record fields become JSON strings in a dataset: Ray Data needs one schema
# for every block, and e.g. ``metadata`` keys differ from page to page.
NESTED_FIELDS = ("metadata", "removed", "mt_garble", "encoding", "languages", "language_blocks", "error")


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise RuntimeError("the Ray engine needs Ray: pip install 'cleaner[ray]'") from e
    return ray


def _clean_batch(batch: list[Task], config: Config, options: dict[str, Any]) -> list[dict[str, Any]]:
    from .pipeline import Cleaner
    from .runner import process_task

    cleaner = Cleaner(config, **options)
    return [process_task(cleaner, t) for t in batch]


def run_tasks_ray(
    tasks: Iterable[Task],
    config: Config,
    options: dict[str, Any],
    address: str | None = None,
    window: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one record per task, in order, computed by Ray tasks on the cluster at ``address``.

    Without an address, Ray's usual discovery applies (``RAY_ADDRESS``, a running
    local cluster, else a new local one).
    """
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 ignore_reinit_error=True)
    remote = ray.remote(_clean_batch)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    window = window or max(2, cpus * 4)
    config_ref = ray.put(config)
    pending: deque[tuple[list[Task], Any]] = deque()
    batches = _batches(tasks, BATCH_DOCS)
    while True:
        fill_window(pending, batches, lambda b: remote.remote(b, config_ref, options), window)
        if not pending:
            return
        yield from ray.get(pending.popleft()[1])


def _to_columns(records: list[dict[str, Any]], columns: list[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {c: [] for c in columns}
    for r in records:
        for c in columns:
            v = r.get(c)
            out[c].append(json.dumps(v, ensure_ascii=False) if c in NESTED_FIELDS and v is not None else v)
    return out


class _BatchCleaner:
    """A Ray Data callable class: one Cleaner per actor, reused for every batch."""

    def __init__(self, config: Config, options: dict[str, Any], columns: list[str]) -> None:
        from .pipeline import Cleaner

        self.cleaner = Cleaner(config, **options)
        self.columns = columns

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        keys = list(batch)
        n = len(batch[keys[0]]) if keys else 0
        rows = [{k: _plain(batch[k][i]) for k in keys} for i in range(n)]
        records = [self.cleaner.clean_record(r) for r in rows]
        passthrough = [k for k in keys if k not in (self.cleaner.text_field, self.cleaner.html_field)]
        cols = list(dict.fromkeys([*passthrough, *self.columns]))
        return _to_columns(records, cols)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v


RECORD_COLUMNS = ["id", "text", "language", "language_score", "script", "languages", "metadata", "removed",
                  "mt_garble", "encoding", "cleaner_version", "error"]


def clean_dataset(
    dataset: Any,
    config: Config | None = None,
    *,
    text_field: str = "text",
    html_field: str = "html",
    id_field: str = "id",
    batch_size: int = 64,
    concurrency: int | None = None,
) -> Any:
    """Clean a Ray Data dataset; returns a new dataset of output records.

    Input columns pass through; record fields are added, with nested ones
    (``metadata``, ``removed``, ``mt_garble``, ...) as JSON strings.

    >>> # ds = ray.data.read_json("pages.jsonl"); clean_dataset(ds).write_json("out/")
    """
    options = {"text_field": text_field, "html_field": html_field, "id_field": id_field}
    return dataset.map_batches(
        _BatchCleaner,
        fn_constructor_args=(config or Config(), options, RECORD_COLUMNS),
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=concurrency or 1,
    )
