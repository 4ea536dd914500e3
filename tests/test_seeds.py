"""The five seed documents through the whole pipeline, judged by ../shared/seeds/check.py.

Runs the checker's own ``check`` function in-process on ``Cleaner().clean_records``.
The garble expectations are judged here too but reported separately: they belong to
the garble stage; the boilerplate/metadata/language expectations must all hold.
Skipped cleanly when ../shared is absent.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
SEEDS = SHARED / "seeds"

pytestmark = pytest.mark.skipif(not (SEEDS / "check.py").exists(), reason="../shared/seeds not available")


def _checker() -> Any:
    spec = importlib.util.spec_from_file_location("seed_check", SEEDS / "check.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def results() -> list[tuple[str, list[str]]]:
    from cleaner import Cleaner

    chk = _checker()
    seeds = chk.load_seeds()
    records = {
        r["id"]: json.loads(json.dumps(r, ensure_ascii=False))
        for r in Cleaner().clean_records({"id": g["file"], "text": t} for g, t in seeds)
    }
    return [(g["file"], chk.check(g, t, records.get(g["file"]))) for g, t in seeds]


def test_seed_boilerplate_metadata_language(results: list[tuple[str, list[str]]]) -> None:
    problems = [f"{name}: {p}" for name, ps in results for p in ps if not p.startswith("mt_garble")]
    assert problems == []


def test_check_py_passes_through_the_real_cli() -> None:
    """The acceptance command itself: ``check.py --cmd 'cleaner clean {inp} -o {out}'``."""
    import shlex
    import subprocess
    import sys

    cmd = f"{shlex.quote(sys.executable)} -m cleaner clean {{inp}} -o {{out}} -q"
    p = subprocess.run([sys.executable, str(SEEDS / "check.py"), "--cmd", cmd],
                       capture_output=True, text=True, timeout=300)
    assert p.stdout.strip().endswith("6 passed, 0 failed"), p.stdout + p.stderr
