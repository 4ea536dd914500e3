"""score.py adapter: JSON lines {id, b64} on stdin -> {id, text, encoding} on stdout.

``python bench/encoding_adapter.py [cleaner|chardet|sniff-chardet|charset-normalizer]``
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable


def _cleaner() -> Callable[[bytes], tuple[str, str]]:
    from cleaner.decode import decode, warm_up

    warm_up()

    def run(b: bytes) -> tuple[str, str]:
        d = decode(b)
        return d.text, d.encoding

    return run


def _chardet(sniff: bool) -> Callable[[bytes], tuple[str, str]]:
    import chardet

    from cleaner.decode import _BOMS, _utf16_by_nuls

    def run(b: bytes) -> tuple[str, str]:
        if sniff:
            for bom, enc in _BOMS:
                if b.startswith(bom):
                    try:
                        return b[len(bom):].decode(enc), enc
                    except UnicodeDecodeError:
                        break
            enc16 = _utf16_by_nuls(b)  # same NUL-pattern rule as cleaner, before UTF-8
            if enc16:
                return b.decode(enc16), enc16
            try:
                return b.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
        enc = chardet.detect(b)["encoding"] or "utf-8"
        try:
            return b.decode(enc, errors="replace"), enc
        except LookupError:
            return b.decode("utf-8", errors="replace"), "utf-8"

    return run


def _charset_normalizer() -> Callable[[bytes], tuple[str, str]]:
    from charset_normalizer import from_bytes

    def run(b: bytes) -> tuple[str, str]:
        best = from_bytes(b).best()
        if best is None:
            return b.decode("utf-8", errors="replace"), "utf-8"
        return str(best), best.encoding

    return run


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "cleaner"
    run = {"cleaner": _cleaner, "chardet": lambda: _chardet(False), "sniff-chardet": lambda: _chardet(True),
           "charset-normalizer": _charset_normalizer}[which]()
    for line in sys.stdin:
        if not line.strip():
            continue
        rec = json.loads(line)
        text, enc = run(base64.b64decode(rec["b64"]))
        out = {"id": rec["id"], "text": text, "encoding": enc}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
