"""``python -m cleaner.language``: the JSONL adapter the langid benchmark drives."""

from __future__ import annotations

import io
import json

import pytest

from cleaner.language.__main__ import main


def test_adapter_reads_and_writes_jsonl(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": "a", "text": "這是一個簡單的句子。"},
        {"id": "b", "text": "这是一个简单的句子。"},
        {"id": "c", "text": "The library closes early on Sundays."},
        {"id": "d", "text": ""},
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(x) + "\n" for x in lines)))
    assert main([]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(o["id"], o["lang"]) for o in out] == [
        ("a", "zh-Hant"),
        ("b", "zh-Hans"),
        ("c", "en"),
        ("d", "und"),
    ]
