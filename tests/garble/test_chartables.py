"""The shipped garble character tables (``garble_chartables.npz``, s9) against the tables built in memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cleaner.garble import nn, vec


def _same(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    return all(x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_shipped_tables_are_current_and_equal_a_rebuild(key_is_current: Callable[..., None]) -> None:
    """Skips after a ``regex`` or Python upgrade (the environment's part of the key) until
    scripts/build_garble_chartables.py reruns (the runtime builds the tables itself meanwhile: same answers, ~25 ms
    more start-up); fails when the patterns or the version constant changed without a rebuild."""
    import json

    with np.load(vec.CHAR_TABLES_PATH) as z:
        shipped_key = json.loads(str(z["key"]))
    key_is_current("garble_chartables.npz", shipped_key, json.loads(vec.char_tables_key()), {"regex", "unidata"},
                    "python scripts/build_garble_chartables.py")
    shipped = vec._shipped_char_tables()
    assert shipped is not None, "garble_chartables.npz is stale or missing: run scripts/build_garble_chartables.py"
    assert _same(shipped, vec.build_char_tables())
    assert _same(vec._tables(), shipped)
    assert vec.shipped_nn_classes() == nn.build_classes(False) == nn._classes(False)
    with np.load(vec.CHAR_TABLES_PATH) as z:
        arrays = vec.char_table_arrays()
        assert z.files == list(arrays) and all(np.array_equal(z[k], v) for k, v in arrays.items())


@pytest.mark.parametrize("spoil", ["key", "missing", "shape", "garbage"])
def test_a_stale_or_broken_file_falls_back_to_building(spoil: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = vec.char_table_arrays()
    data = tmp_path / "data"
    data.mkdir()
    target = data / vec.CHAR_TABLES_FILE
    if spoil == "key":
        arrays["key"] = np.array(vec.char_tables_key().replace('"version": ', '"version": 9'))
    elif spoil == "shape":
        arrays["cls"] = arrays["cls"][:100]
        arrays["nn_cls"] = arrays["nn_cls"][:100]
    if spoil == "garbage":
        target.write_bytes(b"not a zip file")
    elif spoil != "missing":
        np.savez(target, **arrays)
    monkeypatch.setattr(vec, "CHAR_TABLES_PATH", target)
    vec._shipped_arrays.cache_clear()
    try:
        assert vec._shipped_char_tables() is None
        assert vec.shipped_nn_classes() is None
        vec._shipped_arrays.cache_clear()
        np.savez(target, **vec.char_table_arrays())
        assert _same(vec._shipped_char_tables(), vec.build_char_tables())
        assert vec.shipped_nn_classes() == nn.build_classes(False)
    finally:
        vec._shipped_arrays.cache_clear()
