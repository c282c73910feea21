"""Searching Chinese text through an index: what a text is indexed by, and what a search term asks.

PostgreSQL's usual answer, pg_trgm, indexes three-character grams: a term of one or two characters
gives it nothing to look up, so it reads every row, and most Chinese names are two or three
characters (张伟, 王芳). It also sees CJK characters as letters only when the database's ctype says
so. Word segmentation (zhparser, jieba) needs a dictionary and misses the names and places it does
not know. So a text is indexed by grams of its own (the SQL function `gk_grams`, migration 0021,
does the same as `grams` below; tests compare them):

- each run of CJK characters gives every two-character gram and its last character alone, so every
  character begins a gram: a one-character term is a prefix search (张:*), a longer one the AND of
  its two-character grams;
- each run of Latin letters and digits (lower case) gives each of its suffixes, at most 32
  characters, so a term inside a word (DP in GDP) is a prefix of one of them.

The index finds every row that may hold the term; the LIKE beside it (web/register/query.py) keeps
only those that do. Anything else (punctuation, spaces, other scripts) separates runs and is matched
by the LIKE alone."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement

LONGEST = 32  # the longest Latin or digit gram; a longer term asks for its first LONGEST characters
RUNS = re.compile("[0-9a-z]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def _latin(run: str) -> bool:
    return run[0].isascii()


def grams(text: str) -> set[str]:
    """What a text is indexed by (the lexemes of gk_grams)."""
    out: set[str] = set()
    for run in RUNS.findall(text.lower()):
        width = LONGEST if _latin(run) else 2
        out.update(run[i:i + width] for i in range(len(run)))
    return out


def tsquery(term: str) -> str | None:
    """The tsquery that finds through the index every text holding `term` (a superset: the caller
    also matches the term itself); None when the term has nothing the index holds."""
    parts: list[str] = []
    for run in RUNS.findall(term.lower()):
        if _latin(run):
            parts.append(f"'{run[:LONGEST]}':*")
        elif len(run) == 1:
            parts.append(f"'{run}':*")
        else:
            parts += (f"'{run[i:i + 2]}'" for i in _covering(len(run)))
    return " & ".join(dict.fromkeys(parts)) or None


def _covering(length: int) -> list[int]:
    """Where the fewest two-character grams that cover a run of `length` (≥ 2) begin: every other
    one, and the last when the length is odd (欧阳子涵: 欧阳 & 子涵; 李子涵: 李子 & 子涵). Each gram
    asked is a posting list the index reads and intersects: asking all of them (欧阳 & 阳子 & 子涵)
    cost a two-phrase search a third more time in the index and found the same rows."""
    starts = list(range(0, length - 1, 2))
    return starts if length % 2 == 0 else [*starts, length - 2]


def contains(column: Any, term: str) -> ColumnElement[bool]:
    """`column`'s text holds `term`, regardless of case, matched literally (% and _ typed in a search
    box are not wildcards). A term without letters that have a case (Chinese, digits) is matched by
    LIKE, which finds the same rows without folding each row's text first."""
    if term.lower() == term.upper():
        return column.contains(term, autoescape=True)
    return column.icontains(term, autoescape=True)
