"""A download's Content-Disposition: the original name survives (RFC 5987), and nothing in a name
can break the header."""

from __future__ import annotations

from urllib.parse import unquote

from web.downloads import disposition


def test_chinese_names_are_percent_encoded_with_an_ascii_fallback():
    header = disposition("2026年招生计划（修订）.pdf")
    assert header.startswith('attachment; filename="2026')
    star = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(star) == "2026年招生计划（修订）.pdf" and star.isascii()


def test_quotes_and_line_breaks_cannot_escape_the_header():
    header = disposition('a"b;\r\nSet-Cookie: x=1.pdf')
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "a_b_Set-Cookie__x_1.pdf"
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == 'a"b;Set-Cookie: x=1.pdf'
