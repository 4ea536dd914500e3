"""Stage 1: bytes of unknown encoding to text.

Order of evidence: a byte-order mark, then strict UTF-8, then a caller's hint
(HTTP header or ``<meta charset>``) when the bytes decode under it, then a
statistical detector.  Never raises on undecodable bytes: the last resort
decodes with replacement characters and says so in ``fixes``.
"""

from __future__ import annotations

import codecs

from .document import Decoded

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes, hint: str | None = None) -> Decoded:
    """Decode ``data``; ``hint`` is a charset name from the transport, used when the bytes allow it.

    >>> decode("café".encode("cp1252")).text
    'café'
    """
    if isinstance(data, str):
        return Decoded(data, "str")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode() takes bytes, not {type(data).__name__}")
    data = bytes(data)
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(enc), enc, ("strip-bom",))
            except UnicodeDecodeError:
                break
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if hint:
        try:
            return Decoded(data.decode(codecs.lookup(hint).name), codecs.lookup(hint).name, ("charset-hint",))
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return Decoded(str(best), best.encoding, ("detected-charset",), 1.0 - best.chaos)
    return Decoded(data.decode("utf-8", errors="replace"), "utf-8", ("replaced-undecodable-bytes",), 0.0)
