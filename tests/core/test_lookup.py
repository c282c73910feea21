"""Keyed hashes for finding a request by the applicant's ID or phone number, and the duplicate
check's content match (issue 14, the register)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gongkai.duplicates import normalise_text, same_content
from gongkai.lookup import ID_DOC, PHONE, LookupKeys, normalise_id, normalise_phone

SECRET, OLD = "a-secret-of-this-installation", "the-secret-before-rotation"


def test_ids_and_phones_normalise_to_the_number_alone():
    assert normalise_id(" 11010119900101123x ") == "11010119900101123X"
    assert normalise_id("110101 1990 0101 123X") == normalise_id("１１０１０１１９９００１０１１２３Ｘ")
    assert normalise_phone("138-0000-0000") == "13800000000"
    assert normalise_phone("+86 138 0000 0000") == normalise_phone("008613800000000") == "13800000000"
    assert normalise_phone("010-12345678") == "01012345678"  # a landline keeps its area code


def test_only_the_whole_number_hashes_alike():
    keys = LookupKeys.of(SECRET)
    whole = keys.digest(ID_DOC, "11010119900101123X")
    assert whole == keys.digest(ID_DOC, "11010119900101123x") and whole is not None and len(whole) == 64
    assert keys.digest(ID_DOC, "11010119900101123") != whole  # a part finds nothing
    assert keys.digest(ID_DOC, "110101") != whole
    assert keys.digest(PHONE, "13800000000") != keys.digest(ID_DOC, "13800000000")  # kinds kept apart
    assert keys.digest(PHONE, "  ") is None and keys.candidates(PHONE, "") == []
    assert "11010119900101123X" not in whole


def test_the_hash_is_keyed_by_the_installation_secret_and_survives_rotation():
    old, new = LookupKeys.of(OLD), LookupKeys.of(SECRET, (OLD,))
    stored_before = old.digest(PHONE, "13800000000")
    assert new.digest(PHONE, "13800000000") != stored_before  # another installation's hash says nothing
    assert stored_before in new.candidates(PHONE, "13800000000")  # rows hashed before the rotation are found
    assert new.digest(PHONE, "13800000000") in new.candidates(PHONE, "138 0000 0000")


def test_same_content_is_equal_once_normalised_or_nearly_so():
    a = "申请公开本区2025年义务教育学校招生计划及其制定依据"
    assert same_content(a, "申请公开本区 2025 年义务教育学校招生计划，及其制定依据。")
    assert same_content(a, a.replace("本区", "我区"))  # a word changed
    assert not same_content(a, "申请公开本区2025年老旧小区改造项目的资金安排")
    assert not same_content(a, "")
    assert normalise_text("ＡＢ，c d。") == "abcd"


@given(st.text(max_size=60))
def test_a_text_is_the_same_as_itself_with_other_spacing(text):
    if normalise_text(text):
        assert same_content(text, " ".join(text))
