from __future__ import annotations

from cleaner.demo import run_demo


def test_demo_cleans_every_bundled_example(capsys) -> None:
    assert run_demo() == 0
    out = capsys.readouterr().out
    for name in ("harbour_bridge.txt", "tea_farm_zh.txt", "garbled_spin.txt", "library_page.html"):
        assert name in out
    assert "removed" in out and "machine-translation garble" in out
    assert "error:" not in out
