"""重复申请 (GIR Art. 36(6)): whether a new request asks for what an earlier one by the same applicant
asked. The system only warns; the officer decides (the reply taxonomy has NOT_PROCESSED/repeat)."""

from __future__ import annotations

import difflib
import unicodedata

SIMILAR = 0.9  # difflib ratio from which two descriptions count as the same request


def normalise_text(text: str) -> str:
    """Full-width forms folded, letters lower-cased, and only letters, digits and CJK kept: spacing
    and punctuation (，。、 etc.) do not make a request different."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in folded if c.isalnum())


def same_content(a: str, b: str, threshold: float = SIMILAR) -> bool:
    """True when two descriptions are equal once normalised, or nearly so (a word or two changed)."""
    x, y = normalise_text(a), normalise_text(b)
    if not x or not y:
        return False
    if x == y:
        return True
    matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
    # The cheap upper bounds first: most pairs are far apart.
    return matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold \
        and matcher.ratio() >= threshold
