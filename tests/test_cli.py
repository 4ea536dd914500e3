from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.cli import main

ARTICLE = (
    "The regional water authority said on Tuesday that reservoir levels had recovered after the wet winter.\n"
    "Officials expect no restrictions on household use this summer, although farmers were asked to keep "
    "records of how much they draw from rivers.\n"
)
HTML = "<html><head><title>Water</title></head><body><article><p>" + ARTICLE + "</p></article></body></html>"


def _jsonl(path: Path, records: list) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


def _read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def test_help_teaches(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["clean", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for word in ("--workers", "--resume", "--rejects", "examples:", "exit status"):
        assert word in out


def test_no_command_is_usage_error(capsys) -> None:
    assert main([]) == 2


def test_single_text_file_to_stdout_and_json(tmp_path, capsys) -> None:
    f = tmp_path / "a.txt"
    f.write_text(ARTICLE)
    assert main(["clean", str(f), "-q"]) == 0
    assert "reservoir levels" in capsys.readouterr().out
    assert main(["clean", str(f), "--json", "-q"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["id"] == str(f) and rec["language"] == "en"


def test_single_html_file(tmp_path, capsys) -> None:
    f = tmp_path / "a.html"
    f.write_text(HTML)
    assert main(["clean", str(f), "-q"]) == 0
    out = capsys.readouterr().out
    assert "reservoir levels" in out and "<p>" not in out


def test_jsonl_to_gz_with_bad_records(tmp_path, capsys) -> None:
    inp = _jsonl(tmp_path / "in.jsonl", [
        {"id": "ok", "text": ARTICLE, "source": "feed"},
        "{this is not json",
        {"id": "notext"},
        {"id": "h", "html": HTML},
    ])
    out = tmp_path / "out.jsonl.gz"
    assert main(["clean", str(inp), "-o", str(out), "-q"]) == 1  # some records had errors
    recs = _read_jsonl(out)
    assert len(recs) == 4
    assert recs[0]["id"] == "ok" and recs[0]["source"] == "feed" and "error" not in recs[0]
    assert recs[1]["error"]["type"] == "InvalidLine"
    assert recs[2]["error"]["type"] == "MissingText"
    assert "reservoir" in recs[3]["text"]


def test_rejects_file(tmp_path) -> None:
    inp = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": ARTICLE}, "[1, 2]", {"id": 3, "text": ARTICLE}])
    out, rej = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    assert main(["clean", str(inp), "-o", str(out), "--rejects", str(rej), "-q"]) == 1
    assert [r["id"] for r in _read_jsonl(out)] == [1, 3]
    [bad] = _read_jsonl(rej)
    assert bad["error"]["type"] == "InvalidRecord"


def test_directory_mirrors_tree_with_report(tmp_path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text(ARTICLE)
    (src / "sub" / "b.html").write_text(HTML)
    (src / "sub" / "skip.bin").write_bytes(b"\x00\x01")
    outside = tmp_path / "outside.txt"
    outside.write_text(ARTICLE)
    os.symlink(outside, src / "link.txt")  # points outside the input tree: skipped
    os.symlink(src, src / "sub" / "loop")  # a folder loop is never followed
    dst = tmp_path / "dst"
    assert main(["clean", str(src), "-o", str(dst), "-q"]) == 0
    assert (dst / "a.txt").read_text().startswith("The regional")
    assert "reservoir" in (dst / "sub" / "b.txt").read_text()
    report = _read_jsonl(dst / "report.jsonl")
    assert sorted(r["id"] for r in report) == ["a.txt", "sub/b.html"]
    assert not (dst / "link.txt").exists()


def test_never_overwrites_input(tmp_path, capsys) -> None:
    f = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": ARTICLE}])
    assert main(["clean", str(f), "-o", str(f)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def test_missing_input_and_bad_config(tmp_path, capsys) -> None:
    assert main(["clean", str(tmp_path / "nope.txt")]) == 2
    cfg = tmp_path / "c.toml"
    cfg.write_text("frobnicate = 1\n")
    f = tmp_path / "a.txt"
    f.write_text(ARTICLE)
    assert main(["clean", str(f), "--config", str(cfg)]) == 2
    assert "unknown config key" in capsys.readouterr().err


def test_empty_and_binary_files(tmp_path, capsys) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["clean", str(empty), "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == ""
    binary = tmp_path / "img.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    code = main(["clean", str(binary), "--json", "-q"])
    rec = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and isinstance(rec["text"], str)


def test_invalid_utf8_file(tmp_path, capsys) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(ARTICLE.encode() + b"\xff\xfe\xfa broken bytes\n")
    assert main(["clean", str(f), "--json", "-q"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert "reservoir" in rec["text"]


def _run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "cleaner", *args], input=stdin, capture_output=True, timeout=120)


def test_stdin_jsonl_and_text_through_a_real_process() -> None:
    p = _run(["clean", "-", "-q"], json.dumps({"id": "s", "text": ARTICLE}).encode() + b"\n")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["id"] == "s"
    p = _run(["clean", "-", "-q"], ARTICLE.encode())
    assert p.returncode == 0 and b"reservoir" in p.stdout
    p = _run(["clean", "-", "--input-format", "html", "-q"], HTML.encode())
    assert p.returncode == 0 and b"reservoir" in p.stdout and b"<p>" not in p.stdout


def test_usage_error_exit_code_and_summary_line(tmp_path) -> None:
    p = _run(["clean", "--workers", "0", "x"])
    assert p.returncode == 2
    f = tmp_path / "a.txt"
    f.write_text(ARTICLE)
    p = _run(["clean", str(f)])
    assert p.returncode == 0 and b"1 documents" in p.stderr


def test_resume_after_partial_output(tmp_path) -> None:
    records = [{"id": i, "text": f"Item {i}. " + ARTICLE} for i in range(40)]
    inp = _jsonl(tmp_path / "in.jsonl", records)
    full = tmp_path / "full.jsonl"
    assert main(["clean", str(inp), "-o", str(full), "-q", "--workers", "1"]) == 0
    expected = full.read_text().splitlines()
    # Simulate a run killed after 17 records, mid-way through writing the 18th.
    out = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    partial.write_text("\n".join(expected[:17]) + "\n" + expected[17][:30])
    assert main(["clean", str(inp), "-o", str(out), "-q", "--resume", "--workers", "1"]) == 0
    assert out.read_text().splitlines() == expected


@pytest.mark.skipif(not os.path.exists("/proc/self/stat") or not hasattr(os, "fork"), reason="needs Linux fork")
def test_workers_that_cannot_start_exit_3_with_the_reason(tmp_path, monkeypatch, capfd) -> None:
    import cleaner.runner as runner

    def broken(*args, **kw):
        raise ValueError("cannot read a model file (simulated)")

    monkeypatch.setattr(runner, "_worker_main", broken)
    f = _jsonl(tmp_path / "in.jsonl", [{"id": i, "text": ARTICLE} for i in range(100)])
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(f), "-o", str(out), "--workers", "2", "-q"]) == 3
    err = capfd.readouterr().err
    assert "ValueError: cannot read a model file (simulated)" in err  # the workers' tracebacks
    last = err.rstrip().splitlines()[-1]
    assert last == ("cleaner: error: worker processes die before they start (the last: exit status 1); "
                    "see the messages above")
    assert not out.exists() and (tmp_path / "out.jsonl.partial").exists()  # kept for --resume


def test_help_lists_every_exit_status(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["clean", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for code in ("0 all documents cleaned", "1 some documents", "2 usage error", "3 the worker processes",
                 "130 interrupted"):
        assert code in out
