"""The search grams (gongkai/grams.py): every text that holds a term is found by the term's query,
on random texts and terms (hypothesis); and a term that needs the index does use it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.grams import LONGEST, grams, tsquery

# Chinese, Latin letters of both cases, digits, punctuation and spaces: what names and descriptions hold.
ALPHABET = "张王李伟芳三丰子涵年月日征地补偿AbCdxyz0129（）、，。 -_%"
TEXTS = st.text(alphabet=ALPHABET, max_size=60)


def matches(query: str, lexemes: set[str]) -> bool:
    """What PostgreSQL's `@@` answers for a query of ANDed lexemes, some of them prefixes (`:*`)."""
    for part in query.split(" & "):
        word = part.split("'")[1]
        if part.endswith(":*"):
            if not any(g.startswith(word) for g in lexemes):
                return False
        elif word not in lexemes:
            return False
    return True


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.data())
def test_a_term_inside_a_text_is_found_by_its_query(text, data):
    start = data.draw(st.integers(0, len(text)))
    term = text[start:data.draw(st.integers(start, len(text)))]
    query = tsquery(term)
    if query is not None:
        assert matches(query, grams(text)), (text, term, query)


def test_one_and_two_character_names_ask_the_index():
    assert tsquery("张") == "'张':*"
    assert tsquery("张伟") == "'张伟'"
    assert tsquery("欧阳子涵") == "'欧阳' & '子涵'"  # the grams that cover the term, no more
    assert tsquery("李子涵") == "'李子' & '子涵'"
    assert tsquery("征地补偿款") == "'征地' & '补偿' & '偿款'"
    assert tsquery("GDP2025年") == "'gdp2025':* & '年':*"
    assert tsquery("（）、") is None  # nothing the index holds: the LIKE alone
    assert grams("张三丰") == {"张三", "三丰", "丰"}
    assert grams("Ab张") == {"ab", "b", "张"}
    assert "x" * LONGEST in grams("x" * (LONGEST + 5))
    assert not matches(tsquery("张伟"), grams("张三伟"))
