"""Masking applicants' numbers, and who sees them whole (finding 9 of issue 13)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai.masking import mask_general, mask_id, mask_phone, sees_in_full
from gongkai.roles import Actor, DepartmentKind, Role

JYJ, GKB = 3, 1


def test_resident_id_keeps_region_code_and_last_four():
    assert mask_id("resident_id", "110101199003070035") == "110101********0035"
    assert mask_id("resident_id", "11010119900101123X") == "110101********123X"
    assert mask_id("resident_id", "110101900307003") == "110101*****7003"  # the old 15-digit number


def test_mobile_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86*******5678"
    assert mask_phone("010-12345678") == "010*****5678"


def test_other_documents_short_values_and_landlines_hide_at_least_half():
    assert mask_id("passport", "E12345678") == "E1*****78"
    assert mask_id("business_license", "91110108MA01ABCD2X") == "9111**********CD2X"
    assert mask_phone("12345678") == "12****78"
    assert mask_phone("62345") == "*****"
    assert mask_id("other", "AB12") == "****"
    assert mask_phone("") == "" and mask_id("passport", "") == ""


@given(st.text(min_size=0, max_size=64))
def test_masking_keeps_the_length_and_hides_at_least_half(value):
    value = value.strip()
    for masked in (mask_general(value), mask_id("passport", value), mask_phone(value) if len(value) < 11 else None):
        if masked is None:
            continue
        assert len(masked) == len(value)
        assert masked.count("*") >= len(value) / 2


@given(st.text(alphabet="0123456789X", min_size=6, max_size=64), st.sampled_from(["resident_id", "passport",
                                                                                  "org_code", "other"]))
def test_a_masked_number_never_shows_the_number(value, doc_type):
    masked = mask_id(doc_type, value)
    assert masked != value and value not in masked and masked.count("*") >= 4


def _actor(role: Role, department_id: int, user_id: int = 7) -> Actor:
    kind = DepartmentKind.OPENNESS_OFFICE if department_id == GKB else DepartmentKind.DEPARTMENT
    return Actor(user_id, "u", role, department_id, kind)


@pytest.mark.parametrize(("actor", "assignee", "full"), [
    (_actor(Role.OFFICER, JYJ, 7), 7, True),  # the assignee
    (_actor(Role.OFFICER, JYJ, 7), None, True),  # an officer of the department, before anyone claims it
    (_actor(Role.OFFICER, JYJ, 8), 7, False),  # another officer once it is claimed
    (_actor(Role.DEPT_HEAD, JYJ), 7, True),  # the handling department's head
    (_actor(Role.OFFICE_HEAD, GKB), 7, True),  # the office head signs every reply
    (_actor(Role.OFFICER, GKB), None, False),  # the office's officers, once it went to a department
    (_actor(Role.DEPT_HEAD, 4), None, False),  # another department's head
    (_actor(Role.ADMIN, JYJ), None, False),  # administration, oversight and leadership never
    (_actor(Role.SUPERVISOR, JYJ), None, False),
    (_actor(Role.LEADER, JYJ), None, False),
    (_actor(Role.PRINCIPAL_HEAD, JYJ), None, False),
])
def test_who_sees_the_numbers_in_full(actor, assignee, full):
    assert sees_in_full(actor, JYJ, assignee) is full
