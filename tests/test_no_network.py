"""Nothing is fetched: pages referencing DTDs, external entities, XInclude or remote resources
cause no network access and no file read, and entity bombs do not expand."""

from __future__ import annotations

import socket
import urllib.request

import pytest

import cleaner

P = "The quick brown fox jumped over the lazy dog in the garden of the old house near the river. " * 4


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve or connect fails the test (and is recorded)."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    yield attempts
    assert attempts == []


def _pages(secret_path: str) -> dict[str, str]:
    laughs = "".join(f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "lol") * 10 + '">' for i in range(1, 10))
    return {
        "external-file-entity": f'<?xml version="1.0"?>\n<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
        f"\n<html><body><article><p>{P}</p><p>&xxe;</p></article></body></html>",
        "external-http-entity": '<?xml version="1.0"?>\n<!DOCTYPE html [<!ENTITY xxe SYSTEM "http://198.51.100.7/x">'
        f'<!ENTITY % pe SYSTEM "http://198.51.100.7/p.dtd"> %pe;]>\n<html><body><article><p>{P}&xxe;</p>'
        "</article></body></html>",
        "external-dtd": '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://198.51.100.7/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><body><article>'
        f"<p>{P}&nbsp;&eacute;&unknownentity;</p></article></body></html>",
        "file-dtd": f'<!DOCTYPE html SYSTEM "file://{secret_path}"><html><body><article><p>{P}</p></article></body></html>',
        "xinclude": f'<html xmlns:xi="http://www.w3.org/2001/XInclude"><body><article><p>{P}</p>'
        f'<xi:include href="file://{secret_path}" parse="text"/><xi:include href="http://198.51.100.7/x"/>'
        "</article></body></html>",
        "remote-resources": '<html><head><link rel="stylesheet" href="http://198.51.100.7/s.css">'
        '<script src="http://198.51.100.7/a.js"></script><base href="http://198.51.100.7/">'
        '<meta http-equiv="refresh" content="0; url=http://198.51.100.7/"></head><body><article>'
        f'<p>{P}</p><img src="http://198.51.100.7/a.png"><iframe src="http://198.51.100.7/"></iframe>'
        f'<object data="file://{secret_path}"></object><embed src="file://{secret_path}">'
        "</article></body></html>",
        "billion-laughs": f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{laughs}]>\n<html><body><article><p>{P}&lol9;</p>'
        "</article></body></html>",
        "quadratic-blowup": '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "' + "a" * 50_000 + '">]>\n'
        "<html><body><article><p>" + P + "&a;" * 20_000 + "</p></article></body></html>",
    }


@pytest.mark.parametrize(
    "name",
    ["external-file-entity", "external-http-entity", "external-dtd", "file-dtd", "xinclude", "remote-resources",
     "billion-laughs", "quadratic-blowup"],
)
def test_nothing_is_fetched_or_read(name: str, tmp_path, no_network) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETMARKER\n")
    page = _pages(str(secret))[name]
    for data in (page, page.encode("utf-8")):
        for html in (True, None):  # forced HTML, and sniffed
            rec = cleaner.clean(data, html=html, url="http://198.51.100.7/page").to_record()
            text = rec["text"]
            assert "TOPSECRETMARKER" not in text
            assert "lollollol" not in text and "a" * 60_000 not in text  # nothing expanded
            assert len(text) < len(page) + 1000
            assert "quick brown fox" in text, (name, rec.get("error"), text[:200])


def test_cli_never_connects(tmp_path, no_network, capsys) -> None:
    from cleaner.cli import main

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETMARKER\n")
    for name, page in _pages(str(secret)).items():
        f = tmp_path / f"{name}.html"
        f.write_text(page)
        assert main(["clean", str(f), "-q"]) == 0
        out = capsys.readouterr().out
        assert "TOPSECRETMARKER" not in out and "quick brown fox" in out
