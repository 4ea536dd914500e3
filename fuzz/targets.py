"""Coverage-guided fuzz targets (atheris / libFuzzer) for the three places raw bytes enter.

    python fuzz/targets.py TARGET [libFuzzer flags] [CORPUS_DIR...]

TARGET is one of:
- ``decode``: ``cleaner.decode.decode(data, hint)`` never raises and returns text;
- ``html``: ``cleaner.clean(data, html=True)`` (bytes and str) never raises and its record is
  strict JSON; ``cleaner.html.extract`` is called too, and an exception from it is logged as a
  *contained* finding (the pipeline turns it into an error record) without stopping the run;
- ``reader``: ``cleaner.io.iter_lines`` over the bytes, plain and as a gzip stream, then
  ``parse_json_line`` and ``Cleaner.clean_record`` on what parses, then ``dumps``: never raises,
  one output record per line, strict JSON out.

An uncaught exception is a crash (libFuzzer writes the input to ``<artifact_prefix>crash-*``);
an input slower than ``-timeout`` seconds is a hang (``timeout-*``).  ``fuzz/run.py`` runs each
target for a fixed time and summarises executions and findings.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import traceback

import atheris

# Instrument the package and the libraries on these paths (imported lazily by the stages,
# so import them here, inside the block) so that libFuzzer's coverage guidance sees them.
with atheris.instrument_imports():
    import charset_normalizer
    import ftfy
    import trafilatura

    import cleaner
    import cleaner.decode
    import cleaner.fix_encoding
    import cleaner.html
    import cleaner.io
    import cleaner.pipeline
    from cleaner.config import Config

_ = (charset_normalizer, ftfy, trafilatura)

CONTAINED = os.environ.get("CLEANER_FUZZ_CONTAINED")  # JSONL file for contained findings
_seen: set[str] = set()
# Language and garble are statistical and slow; they see plenty of text in the property tests.
FAST = Config(detect_language=False, garble=False, timeout=0)
CLEANER = cleaner.pipeline.Cleaner(FAST)
HINTS = [None, "utf-8", "latin-1", "cp1252", "shift_jis", "gb18030", "utf-16", "bogus-charset", "utf-7"]


def _contained(where: str, exc: BaseException, data: bytes) -> None:
    tb = traceback.extract_tb(exc.__traceback__)
    frame = tb[-1] if tb else None
    key = f"{where}:{type(exc).__name__}:{frame.filename if frame else ''}:{frame.lineno if frame else ''}"
    if key in _seen or not CONTAINED:
        return
    _seen.add(key)
    with open(CONTAINED, "a", encoding="utf-8") as f:
        f.write(json.dumps({"where": where, "type": type(exc).__name__, "message": str(exc)[:300],
                            "at": f"{frame.filename}:{frame.lineno}" if frame else None,
                            "input": data[:2000].decode("latin-1")}) + "\n")


def target_decode(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    hint = HINTS[fdp.ConsumeIntInRange(0, len(HINTS) - 1)]
    raw = fdp.ConsumeBytes(fdp.remaining_bytes())
    d = cleaner.decode.decode(raw, hint=hint)
    assert isinstance(d.text, str) and isinstance(d.encoding, str)
    # NUL-free, BOM-free non-ASCII bytes that are valid UTF-8 must come back as UTF-8.  Bytes with
    # NULs are left to decode's documented UTF-16 rule (a NUL pattern plus a plausible UTF-16
    # reading wins: text has no NULs), which tiny inputs such as b"\x00f\x00\xc7\xa9C" satisfy.
    if b"\x00" not in raw and not raw.isascii() and not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            utf8 = raw.decode("utf-8")
        except UnicodeDecodeError:
            return
        assert d.text == utf8, "valid UTF-8 (non-ASCII, no BOM) must decode as UTF-8"


def target_html(data: bytes) -> None:
    for doc in (data, data.decode("utf-8", "replace")):
        rec = cleaner.clean(doc, html=True, config=FAST).to_record()
        json.dumps(rec, allow_nan=False)
    try:
        cleaner.html.extract(data.decode("utf-8", "replace"), FAST)
    except Exception as e:  # the pipeline contains this as an error record; log it
        _contained("html.extract", e, data)


def target_reader(data: bytes) -> None:
    streams = [io.BytesIO(data), gzip.GzipFile(fileobj=io.BytesIO(data))]
    for stream in streams:
        n_lines = n_out = 0
        for line in cleaner.io.iter_lines(stream, 256, max_skip_bytes=4096):
            n_lines += 1
            obj, err = cleaner.io.parse_json_line(line)
            rec = cleaner.pipeline._error_record(None, "input", "InvalidLine", err) if err else \
                CLEANER.clean_record(obj)
            json.loads(cleaner.io.dumps(rec), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
            n_out += 1
        assert n_lines == n_out


TARGETS = {"decode": target_decode, "html": target_html, "reader": target_reader}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer flags] [corpus dirs]")
    name = sys.argv.pop(1)
    atheris.Setup(sys.argv, TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
