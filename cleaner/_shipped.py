"""Reading and writing the pre-built, keyed start-up tables in ``cleaner/data`` (s9).

Several stages ship tables they could also build in memory (the boilerplate ``re`` code and line filter, the
character class tables, the script and hanzi tables, fix_encoding's scan tables), each stored under a key of
what it is derived from.  Such a file is an optimisation only: when it is missing, truncated, empty, corrupt
(``np.load`` raises ``zipfile.BadZipFile`` for a half file or a bad CRC, ``EOFError`` for an empty one,
``zlib.error`` for a damaged stream), of another key, or holds members of another name, dtype or shape, the
readers here return None (a missing file or another key logged at debug, a damaged file as a warning) and the
caller builds the table as before.  Files that are the package's real models (garble_model.npz, the garble
lexicon, ...) are NOT read through here: a broken model must raise, not degrade silently.

The writers make the same bytes from the same arrays (fixed member dates), so a rebuild can be compared
byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zlib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Expect = Mapping[str, tuple[str | None, tuple[int, ...] | None]]
"""Members a reader requires: name -> (dtype, as ``np.dtype`` reads it, native byte order, or a one-letter kind
such as ``"U"``, or None: any; shape, or None: any)."""


def _check(arrays: Mapping[str, np.ndarray], expect: Expect) -> str:
    """What is wrong with ``arrays`` against ``expect`` ("" when nothing)."""
    for name, (dtype, shape) in expect.items():
        a = arrays.get(name)
        if a is None:
            return f"no member {name!r}"
        if dtype is not None and (a.dtype.kind != dtype if len(dtype) == 1 else a.dtype != np.dtype(dtype)):
            return f"{name!r} is {a.dtype}, expected {np.dtype(dtype)}"
        if shape is not None and a.shape != shape:
            return f"{name!r} has shape {a.shape}, expected {shape}"
    return ""


def source_digest(*paths: str | Path) -> str:
    """sha256 (16 hex digits) of the source files that build a table: a part of its key, so that an edit of the
    code that builds it (not only of its inputs) makes the shipped file stale, the stage builds the table in
    memory and the staleness test says to rebuild it; ``"-"`` when a source is not there (never a shipped key)."""
    h = hashlib.sha256()
    try:
        for path in paths:
            h.update(Path(path).read_bytes())
    except OSError:
        return "-"
    return h.hexdigest()[:16]


def read_npz(path: Path, key: str | None = None, expect: Expect | None = None) -> dict[str, np.ndarray] | None:
    """Every member of the ``.npz`` at ``path``, read into memory, or None: the file is missing or broken in
    any way, its ``key`` member is not ``key`` (when given), or a member of ``expect`` is missing or of
    another dtype/shape.  Only for optional, rebuildable tables (any failure means "build it")."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if key is not None and str(z["key"]) != key:
                log.debug("%s: another key, built in memory", path.name)
                return None
            arrays = {name: z[name] for name in z.files}
    except Exception as e:  # BadZipFile, EOFError, zlib.error, OSError, KeyError, ValueError...
        _damaged(path, e)
        return None
    problem = _check(arrays, expect or {})
    if problem:
        log.warning(DAMAGED, path.name, problem)
        return None
    return arrays


DAMAGED = "%s is damaged (%s): the table is built in memory at every start instead (reinstall the package)"


def _damaged(path: Path, e: Exception) -> None:
    """Log a file that could not be read: a missing one quietly (a trimmed install), a damaged one as a warning
    (it costs every start-up the in-memory build, up to ~0.25 s in all)."""
    if isinstance(e, FileNotFoundError):
        log.debug("%s missing: built in memory", path.name)
    else:
        log.warning(DAMAGED, path.name, f"{type(e).__name__}: {e}")


def read_zlib(path: Path, key: bytes, size: int | None = None) -> bytes | None:
    """The body of a keyed ``.zlib`` file (:func:`write_zlib`: a header line ``key`` and the zlib-compressed
    body), or None: missing or broken, another key, or (``size`` given) a body of another length."""
    try:
        head, _, body = path.read_bytes().partition(b"\n")
        if head != key:
            log.debug("%s: another key, built in memory", path.name)
            return None
        data = zlib.decompress(body)
    except Exception as e:  # OSError, zlib.error...
        _damaged(path, e)
        return None
    if size is not None and len(data) != size:
        log.warning(DAMAGED, path.name, f"{len(data)} bytes, expected {size}")
        return None
    return data


def write_zlib(path: Path, key: bytes, body: bytes) -> None:
    """Store ``body`` at ``path`` under ``key`` (the build scripts; :func:`read_zlib` reads it)."""
    if b"\n" in key:
        raise ValueError("a key is one line")
    Path(path).write_bytes(key + b"\n" + zlib.compress(body, 9))


STORE_RATIO = 0.75
""":func:`save_npz` stores a member when deflate leaves more than this share of its bytes (random weights and
fingerprint tables: 88-99%), and deflates it otherwise."""


def save_npz(path: Any, arrays: Mapping[str, Any], store: Collection[str] = ()) -> None:
    """``np.savez_compressed(path, **arrays)``, except that members deflate does not shrink by a quarter
    (:data:`STORE_RATIO`), and those named in ``store``, are stored: ``np.load`` reads those without inflating.
    Fixed member dates (``np.savez_compressed`` writes the current time): the same arrays give the same bytes."""
    import zipfile  # (build time; at run time np.load imports it)

    with zipfile.ZipFile(path, "w") as zf:
        for name, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(value), allow_pickle=False)
            raw = buf.getvalue()
            packed = zlib_size(raw)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            deflate = name not in store and packed <= STORE_RATIO * len(raw)
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, raw)


def zlib_size(raw: bytes) -> int:
    """Bytes of ``raw`` deflated at zipfile's default level."""
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return len(c.compress(raw)) + len(c.flush())


def staleness(what: str, shipped: Mapping[str, Any], current: Mapping[str, Any], env: Collection[str],
              rebuild: str) -> tuple[str, str]:
    """How a shipped table's key (``shipped``, split in named parts) stands against this process's (``current``):
    ``("", "")`` the same; ``("skip", why)`` a part of the environment (``env``: a library's or the interpreter's
    version, the Unicode data) differs, which pyproject allows and the runtime handles by building in memory;
    ``("fail", why)`` only parts the repository controls differ (a source digest, the patterns, a version
    constant): the code was changed without rebuilding the table.  The staleness tests act on it."""
    differ = [n for n in sorted(set(shipped) | set(current)) if shipped.get(n) != current.get(n)]
    if not differ:
        return "", ""
    parts = ", ".join(f"{n}: shipped {shipped.get(n)!r}, here {current.get(n)!r}" for n in differ)
    if any(n in env for n in differ):
        return "skip", (f"{what} was built in another environment ({parts}): the runtime builds it in memory; "
                        f"to ship it for this one, run {rebuild}")
    return "fail", f"{what} is stale ({parts}): the code changed since it was built; run {rebuild}"
