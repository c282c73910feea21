"""What changed between two versions of a text: lines matched first, then, inside a changed line,
words (a run of Latin letters or digits) and single Chinese characters, so 施行 → 试行 shows one
character deleted and one inserted rather than a whole line replaced."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["same", "ins", "del"]
_TOKEN = re.compile(r"[A-Za-z0-9_.%]+|\s+|.", re.S)


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


@dataclass(frozen=True)
class Line:
    pieces: tuple[Piece, ...]

    @property
    def changed(self) -> bool:
        return any(p.op != "same" for p in self.pieces)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _merge(pieces: list[Piece]) -> tuple[Piece, ...]:
    out: list[Piece] = []
    for p in pieces:
        if not p.text:
            continue
        if out and out[-1].op == p.op:
            out[-1] = Piece(p.op, out[-1].text + p.text)
        else:
            out.append(p)
    return tuple(out)


def _words(old: str, new: str) -> list[Piece]:
    a, b = tokens(old), tokens(new)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        pieces.append(Piece("del", "".join(a[i1:i2])))
        pieces.append(Piece("ins", "".join(b[j1:j2])))
    return pieces


def diff(old: str, new: str) -> list[Line]:
    """The new text line by line, with what the old had instead marked deleted and what is new
    marked inserted. Replaced lines pair up in order and differ word by word; what is left over
    of a replaced block is deleted or inserted whole."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[Line] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [Line((Piece("same", s),)) for s in a[i1:i2]]
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            o = olds[k] if k < len(olds) else None
            n = news[k] if k < len(news) else None
            if o is None:
                lines.append(Line(_merge([Piece("ins", n or "")]) or (Piece("ins", ""),)))
            elif n is None:
                lines.append(Line(_merge([Piece("del", o)]) or (Piece("del", ""),)))
            else:
                lines.append(Line(_merge(_words(o, n))))
    return lines
