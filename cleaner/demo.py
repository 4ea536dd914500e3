"""``cleaner demo``: clean the bundled example documents and explain the result."""

from __future__ import annotations

import textwrap
from importlib import resources


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def run_demo() -> int:
    """Print, for each example, the cleaned text and what was removed, found and flagged."""
    from .pipeline import clean

    files = sorted(
        (p for p in resources.files("cleaner.examples").iterdir() if p.name.endswith((".txt", ".html"))),
        key=lambda p: p.name,
    )
    for path in files:
        data = path.read_bytes()
        rec = clean(data, id=path.name).to_record()
        print("=" * 78)
        print(f"{path.name}  ({len(data)} bytes, {'HTML' if path.name.endswith('.html') else 'text'})")
        print(f"language: {rec['language']} (script {rec['script']}, score {rec['language_score']})")
        if rec["metadata"]:
            print("metadata: " + ", ".join(f"{k}={v!r}" for k, v in rec["metadata"].items()))
        print("-" * 78)
        for para in (rec["text"] or "").split("\n"):
            if para.strip():
                print(textwrap.fill(para, 78, break_long_words=True) if para.isascii() else para)
        print("-" * 78)
        print(f"removed {len(rec['removed'])} span(s):")
        for r in rec["removed"]:
            print(f"  [{r['kind']}/{r['reason']}] {_short(r['text'])}")
        g = rec.get("mt_garble") or {}
        verdict = "FLAGGED" if g.get("flagged") else "not flagged"
        print(f"machine-translation garble: score {g.get('score')} -> {verdict}"
              + (f" ({g['reason']})" if g.get("reason") else ""))
        for e in (g.get("evidence") or [])[:6] if g.get("flagged") else ():
            print(f"  [{e['signal']}] {_short(e['text'], 60)}")
        if rec.get("error"):
            print(f"error: {rec['error']}")
    print("=" * 78)
    print(f"{len(files)} example documents cleaned. Try: cleaner clean --help")
    return 0
