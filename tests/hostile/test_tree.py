"""Directory mode never writes outside ``-o DIR``, whatever the names, ids and symlinks."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cleaner.cli import main

from ._gen import ARTICLE, write_jsonl


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_hostile_ids_in_records_stay_inside_the_output(tmp_path) -> None:
    src, dst, outside = tmp_path / "src", tmp_path / "dst", tmp_path / "outside"
    src.mkdir()
    outside.mkdir()
    ids = ["../escape", str(outside / "abs"), "a\x00b", "x" * 300, ".", "..", "sub/../../x2", "a/./b",
           "-rf", "", None, 5, "ok", "sub/deep/ok2", "~", "C:\\win\\x", "../" * 30 + "etc/passwd",
           "lone\ud800surrogate", "esc\udcffaped"]
    write_jsonl(src / "recs.jsonl", [{"id": i, "text": ARTICLE} for i in ids])
    before = _all_files(tmp_path)
    code = main(["clean", str(src), "-o", str(dst), "-q", "--workers", "1"])
    assert code == 0
    new = _all_files(tmp_path) - before
    assert all(dst in p.parents for p in new), sorted(map(str, new))
    report = [json.loads(x) for x in (dst / "report.jsonl").read_text().splitlines()]
    assert [r["id"] for r in report] == ids  # one record each, in order, whatever the id
    outputs = {r["id"]: r.get("output") for r in report}
    assert outputs["ok"] == "ok.txt" and outputs["sub/deep/ok2"] == "sub/deep/ok2.txt" and outputs[5] == "5.txt"
    for bad in ("../escape", str(outside / "abs"), "a\x00b", "x" * 300, ".", "..", "sub/../../x2", "-rf", ""):
        assert outputs[bad] is None
    assert not any(outside.iterdir())


def test_symlinks_in_input_and_output_trees(tmp_path) -> None:
    src, dst, outside = tmp_path / "src", tmp_path / "dst", tmp_path / "outside"
    (src / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET " + ARTICLE)
    (src / "a.txt").write_text(ARTICLE)
    os.symlink(outside / "secret.txt", src / "link.txt")  # file link pointing outside: not read
    os.symlink(outside, src / "sub" / "out")  # folder link pointing outside: not followed
    os.symlink(src, src / "sub" / "loop")  # folder loop
    os.symlink(src / "sub" / "self1", src / "sub" / "self2")  # link loop between two names
    os.symlink(src / "sub" / "self2", src / "sub" / "self1")
    os.symlink(tmp_path / "nowhere.txt", src / "dangling.txt")
    (src / "sub" / "b.txt").write_text(ARTICLE)
    os.symlink(src / "sub" / "b.txt", src / "inside.txt")  # resolves inside the input: read
    # A link already in the output tree pointing outside must not be written through.
    dst.mkdir()
    os.symlink(outside, dst / "sub")
    before = _all_files(outside)
    code = main(["clean", str(src), "-o", str(dst), "-q", "--workers", "1"])
    assert code == 0
    assert _all_files(outside) == before and (outside / "secret.txt").read_text().startswith("SECRET")
    report = [json.loads(x) for x in (dst / "report.jsonl").read_text().splitlines()]
    ids = sorted(r["id"] for r in report)
    assert ids == ["a.txt", "inside.txt", "sub/b.txt"]
    assert not any("SECRET" in r["text"] for r in report)
    assert (dst / "a.txt").is_file() and (dst / "inside.txt").is_file()
    sub_b = next(r for r in report if r["id"] == "sub/b.txt")
    assert sub_b.get("output") is None  # dst/sub is a link to outside: nothing written there


def test_fifo_in_the_input_tree_is_skipped_not_waited_on(tmp_path) -> None:
    import subprocess
    import sys

    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "a.txt").write_text(ARTICLE)
    os.mkfifo(src / "pipe.txt")  # open() on it would block until a writer appears: forever
    repo = Path(__file__).resolve().parents[2]
    p = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(src), "-o", str(dst), "--workers", "1"],
                       env={"PYTHONPATH": str(repo), "PATH": os.environ.get("PATH", "")}, capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert b"pipe.txt: not a regular file" in p.stderr
    report = [json.loads(x) for x in (dst / "report.jsonl").read_text().splitlines()]
    assert [r["id"] for r in report] == ["a.txt"]
