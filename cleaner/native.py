"""Loading the optional compiled kernels (``cleaner/_native.c``) for one stage.

The extension is built by setup.py when a C compiler is there; every kernel has a numpy/Python path
that gives the same results, so a missing, switched-off or stale build only costs speed.  An in-place
build survives ``git pull``: each stage checks the layout version it was written against (and that
every kernel it calls is there) instead of raising inside the stage on every document.
"""

from __future__ import annotations

import importlib
import os
import warnings
from typing import Any


def load(abi_name: str, abi: int, kernels: tuple[str, ...], fallback: str) -> Any:
    """``cleaner._native``, or None: not built, switched off by ``CLEANER_NO_NATIVE`` (any value but
    empty or ``0``), or a stale build (its ``abi_name`` constant is not ``abi``, or it lacks one of
    ``kernels``: then a warning says so and that ``fallback`` runs)."""
    if os.environ.get("CLEANER_NO_NATIVE", "") not in ("", "0"):
        return None
    try:
        mod = importlib.import_module("cleaner._native")
    except ImportError:
        return None
    missing = [f for f in kernels if not hasattr(mod, f)]
    if getattr(mod, abi_name, None) != abi or missing:
        warnings.warn(
            f"cleaner._native is a stale build ({abi_name} {getattr(mod, abi_name, None)}, expected {abi}"
            f"{'; lacks ' + ', '.join(missing) if missing else ''}): {fallback}; rebuild with `pip install -e .`",
            stacklevel=3,
        )
        return None
    return mod
