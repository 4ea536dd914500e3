"""Command-line interface: ``cleaner clean`` and ``cleaner demo``.

Only argparse and the standard library load before a document is read: heavy
modules (trafilatura, models) load on first use, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

EXIT_OK, EXIT_DOC_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_WORKERS = 3
"""The worker processes cannot run (they die before they start: a model file unreadable, no memory):
no document can be cleaned, unlike EXIT_DOC_ERRORS; the output so far stays in OUT.partial."""
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".json")
RECORD_SUFFIXES = (*JSONL_SUFFIXES, ".parquet")
WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TEXT_SUFFIXES = (".txt", ".text", ".md")
DEFAULT_GLOB = "*.txt,*.html,*.htm,*.jsonl,*.jsonl.gz,*.jsonl.zst,*.parquet,*.warc,*.warc.gz"

DESCRIPTION = """\
Clean web articles: decode and repair encoding, detect language, strip boilerplate
(navigation, share buttons, bylines, footers, unrelated "related" blocks) and flag
machine-translation garbling. Every removed span is reported with a kind and a reason.
"""

CLEAN_EPILOG = """\
inputs and outputs:
  FILE.txt / FILE.html      one document: cleaned text on stdout (--json: the full record)
  FILE.jsonl[.gz|.zst]      records {"id", "text"} or {"id", "html"}: JSONL records out
  FILE.parquet              rows with the same columns (needs cleaner[parquet])
  FILE.warc[.gz]            HTML responses of a crawl; HTTP charset used as a hint, target URI
                            in metadata.url (needs cleaner[warc])
  DIR                       every file matching --glob below DIR (recursive); with -o DIR the
                            cleaned files mirror the tree and DIR/report.jsonl holds the records
  -                         stdin (--input-format, else sniffed)
  -o OUT.jsonl[.gz|.zst]    records for all inputs; written atomically (OUT.partial, then renamed)
  -o OUT.parquet            records as Parquet (string columns, nested fields as JSON text)

examples:
  cleaner clean article.html                     # cleaned text on stdout
  cleaner clean article.txt --json               # the full record
  cleaner clean pages.jsonl.gz -o clean.jsonl.gz --workers 4
  cat pages.jsonl | cleaner clean - > clean.jsonl
  cleaner clean crawl/ -o cleaned/ --glob '*.html'
  cleaner clean big.jsonl -o out.jsonl --resume  # continue after an interruption
  cleaner clean crawl.warc.gz -o pages.jsonl.gz
  cleaner clean shards/ -o out.jsonl --engine ray --address ray://head:10001

exit status: 0 all documents cleaned, 1 some documents had errors (reported in their
records and on stderr), 2 usage error, 3 the worker processes cannot start (the reason is
printed above; rerun with --resume once it is fixed), 130 interrupted.
"""


# --------------------------------------------------------------------------- arguments


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="cleaner", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"cleaner {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("clean", help="clean files, folders, JSONL or stdin",
                       description=DESCRIPTION, epilog=CLEAN_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("inputs", nargs="+", metavar="INPUT", help="file, folder, or - for stdin")
    c.add_argument("-o", "--output", metavar="OUT",
                   help="output file (.jsonl[.gz|.zst] for records, else text) or folder")
    c.add_argument("--input-format", choices=("text", "html", "jsonl"),
                   help="format of stdin (default: sniffed) or of files with other suffixes")
    c.add_argument("--glob", default=DEFAULT_GLOB,
                   help=f"comma-separated patterns for folder inputs (default: {DEFAULT_GLOB})")
    c.add_argument("--json", action="store_true", help="single document: print the full JSON record")
    c.add_argument("--config", metavar="TOML", help="settings file (keys are the Config fields)")
    c.add_argument("--mode", choices=("precision", "balanced", "recall"),
                   help="boilerplate trade-off (default: balanced)")
    c.add_argument("--garble-threshold", type=float, metavar="X",
                   help="flag documents whose garble score is >= X (default 0.5)")
    for stage in ("fix-encoding", "language", "boilerplate", "garble"):
        c.add_argument(f"--no-{stage}", action="store_true", help=f"skip the {stage} stage")
    c.add_argument("--workers", type=int, metavar="N",
                   help="worker processes (default: all cores; small inputs run in-process)")
    c.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local processes (default) or a Ray cluster (needs cleaner[ray])")
    c.add_argument("--address", metavar="ADDR",
                   help="Ray cluster address for --engine ray (default: RAY_ADDRESS or a local cluster)")
    c.add_argument("--max-bytes", type=int, metavar="N",
                   help="reject documents larger than N bytes (default 50000000)")
    c.add_argument("--timeout", type=float, metavar="S",
                   help="seconds one document may take before it is reported as an error (default 60; 0 = off)")
    c.add_argument("--id-field", default="id", help="JSONL field holding the id (default: id)")
    c.add_argument("--text-field", default="text", help="JSONL field holding plain text (default: text)")
    c.add_argument("--html-field", default="html", help="JSONL field holding HTML (default: html)")
    c.add_argument("--keep-original", action="store_true",
                   help="keep the input text in original_text / original_html")
    c.add_argument("--timings", action="store_true", help="add per-stage seconds to each record")
    c.add_argument("--rejects", metavar="FILE",
                   help="write records that failed to FILE (JSONL) instead of the output")
    c.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from OUT.partial (records outputs and folders)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary on stderr")

    sub.add_parser("demo", help="clean the bundled example documents and explain the result",
                   description="Clean the example documents shipped with cleaner and show what was "
                   "removed and flagged.")
    return p


# --------------------------------------------------------------------------- progress


@dataclass
class Stats:
    docs: int = 0
    errors: int = 0
    flagged: int = 0
    removed: int = 0
    bytes_in: int = 0
    started: float = field(default_factory=time.monotonic)
    last_draw: float = 0.0

    def add(self, info: Any) -> None:
        """Count one record, given as its :class:`cleaner.runner.Summary`."""
        self.docs += 1
        self.bytes_in += info.chars
        if info.error:
            self.errors += 1
        if info.flagged:
            self.flagged += 1
        self.removed += info.removed

    def line(self) -> str:
        dt = max(time.monotonic() - self.started, 1e-9)
        return (f"{self.docs} documents, {self.docs / dt:.1f} docs/s, {self.bytes_in / dt / 1e6:.2f} MB/s, "
                f"{self.removed} spans removed, {self.flagged} flagged, {self.errors} errors")


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.stats = Stats()
        self.live = not quiet and sys.stderr.isatty()
        self.quiet = quiet

    def update(self, info: Any) -> None:
        """Count a record (its :class:`cleaner.runner.Summary`), report its error, redraw the line."""
        self.stats.add(info)
        err = info.error
        if err and not self.quiet:
            self.clear()
            print(f"cleaner: {info.id!s}: {err.get('stage')}: {err.get('type')}: {err.get('message')}",
                  file=sys.stderr)
        now = time.monotonic()
        if self.live and now - self.stats.last_draw > 0.25:
            self.stats.last_draw = now
            sys.stderr.write("\r\x1b[K" + self.stats.line())
            sys.stderr.flush()

    def clear(self) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[K")

    def finish(self) -> None:
        self.clear()
        if not self.quiet:
            print(f"cleaner: {self.stats.line()} in {time.monotonic() - self.stats.started:.1f} s",
                  file=sys.stderr)


# --------------------------------------------------------------------------- inputs


class UsageError(Exception):
    """Bad arguments: printed with exit status 2."""


def _kind_of(path: str, forced: str | None) -> str:
    low = path.lower()
    if low.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if low.endswith(".parquet"):
        return "parquet"
    if low.endswith(WARC_SUFFIXES):
        return "warc"
    if low.endswith(HTML_SUFFIXES):
        return "html"
    if low.endswith(TEXT_SUFFIXES):
        return "text"
    return forced or "auto"


def _walk(root: Path, patterns: list[str]) -> Iterator[tuple[Path, str]]:
    """Files under ``root`` matching ``patterns``, sorted, never following symlinked folders.

    Symlinked files are read only when they resolve inside ``root``.
    """
    import fnmatch

    root_real = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            if not any(fnmatch.fnmatch(name, pat) for pat in patterns):
                continue
            path = Path(dirpath) / name
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    continue  # dangling link or a loop
                if root_real not in target.parents:
                    print(f"cleaner: skipping {path}: symlink points outside {root}", file=sys.stderr)
                    continue
            try:  # a FIFO would block open() forever, a device file never ends
                regular = stat.S_ISREG(path.stat().st_mode)
            except OSError:
                regular = False
            if not regular:
                print(f"cleaner: skipping {path}: not a regular file", file=sys.stderr)
                continue
            yield path, path.relative_to(root).as_posix()


def _record_tasks(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[Any, ...]]:
    """One task per non-blank line: the raw line, parsed by whichever process cleans it (the
    parent of a pool only moves bytes), or the reason it could not be read."""
    from .io import iter_lines

    # a JSONL line holds the document plus JSON escaping: allow some headroom over max_bytes
    for line in iter_lines(stream, max_bytes * 2 + 4096):
        if line.error:
            yield ("record", None, line.error)
        elif line.data.strip():
            yield ("line", line.number, line.data)


def _doc_task(doc_id: str, data: bytes, kind: str, extra: dict[str, str] | None = None) -> tuple[Any, ...]:
    return ("doc", doc_id, data, {"html": True, "text": False}.get(kind), extra)


def _read_file(path: Path | str, max_bytes: int) -> bytes:
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    return data


# --------------------------------------------------------------------------- clean


def _config_from_args(args: argparse.Namespace) -> Any:
    from .config import Config

    cfg = Config.from_toml(args.config) if args.config else Config()
    overrides: dict[str, Any] = {}
    if args.mode:
        overrides["mode"] = args.mode
    if args.garble_threshold is not None:
        overrides["garble_threshold"] = args.garble_threshold
    if args.max_bytes is not None:
        overrides["max_bytes"] = args.max_bytes
    if args.timeout is not None:
        overrides["timeout"] = args.timeout
    for stage, key in (("fix_encoding", "fix_encoding"), ("language", "detect_language"),
                       ("boilerplate", "boilerplate"), ("garble", "garble")):
        if getattr(args, f"no_{stage}"):
            overrides[key] = False
    return cfg.replace(**overrides) if overrides else cfg


def cmd_clean(args: argparse.Namespace) -> int:
    from .config import ConfigError
    from .io import InputError
    from .runner import PoolError

    try:
        config = _config_from_args(args)
    except ConfigError as e:
        raise UsageError(str(e)) from e
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    from .runner import default_workers

    workers = args.workers or default_workers()
    options = {"id_field": args.id_field, "text_field": args.text_field, "html_field": args.html_field,
               "keep_original": args.keep_original, "timings": args.timings}
    inputs: list[str] = args.inputs
    if inputs.count("-") > 1:
        raise UsageError("stdin (-) can be given only once")
    for inp in inputs:
        if inp != "-" and not os.path.exists(inp):
            raise UsageError(f"input not found: {inp}")
    out = args.output
    if out and out != "-":
        out_real = Path(out).resolve()
        for inp in inputs:
            if inp != "-" and Path(inp).resolve() == out_real:
                raise UsageError(f"refusing to overwrite the input {inp}; choose another -o")
    progress = Progress(args.quiet)
    try:
        dirs = [i for i in inputs if i != "-" and os.path.isdir(i)]
        if dirs and out and (os.path.isdir(out) or out.endswith(("/", os.sep)) or not _is_records_path(out)):
            status = _clean_tree(args, config, options, workers, progress)
        elif len(inputs) == 1 and not dirs and _single_doc_kind(inputs[0], args) is not None \
                and not (out and _is_records_path(out)):
            status = _clean_single(args, config, options, progress)
        else:
            status = _clean_stream(args, config, options, workers, progress)
    except InputError as e:
        progress.clear()
        print(f"cleaner: {e}", file=sys.stderr)
        return EXIT_DOC_ERRORS
    except PoolError as e:
        progress.clear()
        print(f"cleaner: error: {e}", file=sys.stderr)
        return EXIT_WORKERS
    except KeyboardInterrupt:
        progress.clear()
        print("cleaner: interrupted; rerun with --resume to continue", file=sys.stderr)
        return 130
    progress.finish()
    return status


def _is_records_path(path: str) -> bool:
    return path == "-" or path.lower().endswith(RECORD_SUFFIXES)


def _single_doc_kind(inp: str, args: argparse.Namespace) -> str | None:
    """'text' / 'html' / 'auto' when ``inp`` is one document (not records), else None."""
    if inp == "-":
        fmt = args.input_format
        return None if fmt == "jsonl" else (fmt or "sniff")
    kind = _kind_of(inp, args.input_format)
    return None if kind in ("jsonl", "parquet", "warc") else kind


def _clean_single(args: argparse.Namespace, config: Any, options: dict[str, Any], progress: Progress) -> int:
    from .io import dumps, stdin_binary, write_text_atomic
    from .pipeline import Cleaner
    from .runner import process_task, summarize

    inp = args.inputs[0]
    kind = _single_doc_kind(inp, args)
    if inp == "-":
        data = stdin_binary().read(config.max_bytes + 1)
        if kind == "sniff":
            head = data[:4096].lstrip()
            if head.startswith(b"{"):
                return _clean_stream(args, config, options, 1, progress, stdin_data=data)
            kind = "auto"
        doc_id = "-"
    else:
        data = _read_file(inp, config.max_bytes)
        doc_id = inp
    rec = process_task(Cleaner(config, **options), _doc_task(doc_id, data, kind or "auto"))
    progress.update(summarize(rec))
    output = dumps(rec) + "\n" if args.json else rec.get("text") or ""
    if output and not output.endswith("\n"):
        output += "\n"
    if args.output and args.output != "-":
        write_text_atomic(Path(args.output), output)
    else:
        sys.stdout.write(output)
        sys.stdout.flush()
    return EXIT_DOC_ERRORS if rec.get("error") else EXIT_OK


def _stream_tasks(args: argparse.Namespace, config: Any, stdin_data: bytes | None) -> Iterator[tuple[Any, ...]]:
    from .io import InputError, open_binary, stdin_binary

    patterns = [p.strip() for p in args.glob.split(",") if p.strip()]
    for inp in args.inputs:
        if inp == "-":
            if stdin_data is not None:
                import io as _io

                yield from _record_tasks(_io.BytesIO(stdin_data), config.max_bytes)
            elif args.input_format in (None, "jsonl"):
                yield from _record_tasks(stdin_binary(), config.max_bytes)
            else:
                yield _doc_task("-", stdin_binary().read(config.max_bytes + 1), args.input_format)
            continue
        path = Path(inp)
        files = _walk(path, patterns) if path.is_dir() else [(path, path.as_posix())]
        for fpath, rel in files:
            kind = _kind_of(str(fpath), args.input_format)
            if kind in ("parquet", "warc"):
                from .formats import iter_parquet_tasks, iter_warc_tasks

                try:
                    if kind == "parquet":
                        yield from iter_parquet_tasks(fpath)
                    else:
                        yield from iter_warc_tasks(fpath, config.max_bytes)
                except InputError as e:
                    yield ("record", None, str(e))
            elif kind == "jsonl":
                try:
                    stream = open_binary(fpath)
                except InputError as e:
                    yield ("record", None, str(e))
                    continue
                with stream:
                    yield from _record_tasks(stream, config.max_bytes)
            else:
                try:
                    yield _doc_task(rel, _read_file(fpath, config.max_bytes), kind)
                except OSError as e:
                    yield ("record", None, f"cannot read {fpath}: {e.strerror or e}")


def _clean_stream(args: argparse.Namespace, config: Any, options: dict[str, Any], workers: int,
                  progress: Progress, stdin_data: bytes | None = None) -> int:
    """Everything becomes records, written as JSONL to -o or stdout, in input order."""
    import itertools

    from .io import AtomicWriter
    from .runner import encode_record, run_tasks, summarize

    out = args.output
    writer: Any = None
    if out and out != "-":
        if out.lower().endswith(".parquet"):
            from .formats import ParquetOutput

            if args.resume:
                raise UsageError("--resume works with JSONL outputs, not Parquet")
            writer = ParquetOutput(out)
        else:
            writer = AtomicWriter(out, resume=args.resume)
    rejects = AtomicWriter(args.rejects, resume=args.resume) if args.rejects else None
    skip = (writer.done_lines if writer else 0) + (rejects.done_lines if rejects else 0)
    if args.resume and not writer:
        raise UsageError("--resume needs -o FILE (the output to continue)")
    if skip and not args.quiet:
        print(f"cleaner: resuming after {skip} records already written", file=sys.stderr)
    tasks = itertools.islice(_stream_tasks(args, config, stdin_data), skip, None)
    errors = 0
    # Records travel as (payload, summary): the JSONL line as UTF-8 bytes, encoded where the
    # document was cleaned, except for Parquet, which needs the record itself.
    parquet = writer is not None and not isinstance(writer, AtomicWriter)
    outputs: Iterator[tuple[Any, Any]]
    if args.engine == "ray":
        from .ray import run_tasks_ray

        records = run_tasks_ray(tasks, config, options, address=args.address)
        outputs = ((r, summarize(r)) for r in records) if parquet else map(encode_record, records)
    elif parquet:
        outputs = ((r, summarize(r)) for r in run_tasks(tasks, config, options, workers))
    else:
        outputs = run_tasks(tasks, config, options, workers, encoded=True)
    stdout = None if writer is not None else getattr(sys.stdout, "buffer", None)
    try:
        for payload, info in outputs:
            progress.update(info)
            if info.error:
                errors += 1
                if rejects is not None:
                    if isinstance(payload, bytes):
                        rejects.write_encoded(payload)
                    else:
                        rejects.write_record(payload)
                    rejects.flush()
                    continue
            if writer is not None:
                if parquet:
                    writer.write_record(payload)
                else:
                    writer.write_encoded(payload)
                if rejects is not None:
                    writer.flush()  # both files consistent at any kill point: --resume counts lines
            elif stdout is not None:
                stdout.write(payload)
            else:  # a text stream without a byte layer (an embedding program's)
                sys.stdout.write(payload.decode("utf-8"))
        if writer is not None:
            writer.commit()
        if rejects is not None:
            rejects.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        if rejects is not None:
            rejects.abort()
        raise
    if writer is None:
        sys.stdout.flush()
    return EXIT_DOC_ERRORS if errors else EXIT_OK


def _clean_tree(args: argparse.Namespace, config: Any, options: dict[str, Any], workers: int,
                progress: Progress) -> int:
    """Folders to a folder: cleaned files mirror the input tree, records go to report.jsonl."""
    import itertools

    from .io import AtomicWriter, dumps, write_text_atomic
    from .runner import run_tasks, summarize

    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"-o {out_dir} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    out_real = out_dir.resolve()
    report = AtomicWriter(out_dir / "report.jsonl", resume=args.resume)
    tasks = itertools.islice(_stream_tasks(args, config, None), report.done_lines, None)
    errors = 0
    try:
        for rec in run_tasks(tasks, config, options, workers):
            progress.update(summarize(rec))
            rid = str(rec.get("id") or "")
            if rec.get("error"):
                errors += 1
            else:
                target = _tree_target(out_dir, out_real, rid)
                if target is not None:
                    try:
                        write_text_atomic(target, rec.get("text") or "")
                        rec["output"] = target.relative_to(out_dir).as_posix()
                    except OSError as e:  # a name too long for the file system, say
                        print(f"cleaner: {rid!r}: cleaned text not written: {e.strerror or e}", file=sys.stderr)
            report.write_line(dumps(rec))
            report.flush()
        report.commit()
    except BaseException:
        report.abort()
        raise
    return EXIT_DOC_ERRORS if errors else EXIT_OK


def _tree_target(out_dir: Path, out_real: Path, rid: str) -> Path | None:
    """Where the cleaned text of record ``rid`` goes below ``out_dir``, or None when it cannot go there.

    Ids come from file names but also from JSONL records, i.e. from the data: an id that is
    absolute, climbs with ``..``, holds a NUL, or resolves (through a symlink) outside the
    output folder gets no file, only its line in report.jsonl.
    """
    if not rid or "\x00" in rid or rid.startswith(("/", "-")) or ".." in Path(rid).parts:
        return None
    try:
        target = (out_dir / rid).with_suffix(".txt")
        if out_real in target.resolve().parents:
            return target
    except (OSError, ValueError, RuntimeError):  # odd names, symlink loops
        pass
    return None


# --------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "clean":
            return cmd_clean(args)
        return cmd_demo(args)
    except UsageError as e:
        print(f"cleaner: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `cleaner clean x | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
