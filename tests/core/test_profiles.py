"""The shipped jurisdiction profiles (gongkai/data/profiles/): each loads and is valid, each override
cites its own plan, and every rule a plan changes gives its own deadline, computed on the profile's
calendar region. Figures are checked by hand against gongkai/data/calendar (cn/2026.toml: 中秋节
09-25..27, 国庆节 10-01..07, 10-10 a make-up Saturday; xinjiang/2026.toml: 古尔邦节 05-27..31)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from gongkai import rule_store
from gongkai.clock import CST, ClockSpec, compute, end_of_day, start_of_day
from gongkai.incident import MAJOR_GRADES, clock_plan
from gongkai.profiles import SHIPPED, Profile, shipped_profile
from gongkai.rules import Rule, rule_problems
from gongkai.workdays import REGIONS, bundled_calendar

JURISDICTIONS = tuple(k for k in SHIPPED if k != "national")
INCIDENT_RULES = ("authoritative_release", "press_conference", "opinion_response")
SECTION = re.compile(r"[一二三四五六七八九十]+\([一二三四五六七八九十]+\)")


def national() -> dict[str, Rule]:
    return shipped_profile("national").rules


def due(profile: Profile, rule: str, start: datetime):
    r = profile.rules[rule]
    return compute(ClockSpec(r.kind, r.amount, start, rule=rule), bundled_calendar(profile.region))


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CST)


def last_day(profile: Profile, rule: str, day: date) -> date | None:
    return due(profile, rule, at(day)).last_day


# -- every profile loads, is valid and cites its plan -----------------------------------------------
@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_profile_loads_and_every_rule_is_valid(key):
    profile = shipped_profile(key)
    assert (profile.key, profile.region in REGIONS) == (key, True)
    assert profile.name and profile.source
    assert set(national()) <= set(profile.rules)  # a profile overrides its base, never loses a rule
    for name, rule in profile.rules.items():
        assert rule.name == name
        assert rule_problems(rule) == {}, (key, name)


def test_names_and_regions_of_the_offices():
    assert {k: (shipped_profile(k).name, shipped_profile(k).region) for k in JURISDICTIONS} == {
        "hongze": ("淮安市洪泽区人民政府", "cn"), "tongliao": ("通辽市人民政府", "cn"),
        "linyi": ("临沂市人民政府", "cn"), "fengquan": ("新乡市凤泉区人民政府", "cn"),
        "xinyuan": ("新源县人民政府", "xinjiang")}


@pytest.mark.parametrize("key", JURISDICTIONS)
def test_every_override_cites_a_section_of_its_own_plan(key):
    """An override that kept the national source would claim the national text says what the
    plan says; each names the plan (its title, as in the profile's source) and the section."""
    profile = shipped_profile(key)
    assert re.search(r"\d{3}_[0-9a-f]{16}\.txt", profile.source), "the seed file the profile comes from"
    title = re.search(r"《[^》]+》", profile.source)
    assert title
    for name, rule in profile.rules.items():
        if national().get(name) == rule:
            continue
        assert name not in national() or rule.source != national()[name].source, name
        assert title.group(0) in rule.source, name
        assert SECTION.search(rule.source), name


def test_overrides_are_the_ones_each_plan_makes():
    changed = {k: {n for n, r in shipped_profile(k).rules.items() if national().get(n) != r} for k in JURISDICTIONS}
    assert changed == {
        "hongze": {"interpretation", "authoritative_release", "press_conference", "opinion_response", "repost"},
        "tongliao": {"list_adjustment", "interpretation", *INCIDENT_RULES},
        "linyi": {"list_adjustment", "interpretation", "normative_publication", *INCIDENT_RULES,
                  "meeting_decision", "decision_publication", "handling_result"},
        "fengquan": set(),  # 凤泉's plan sets no time limit of its own: the national rules
        "xinyuan": {"interpretation", *INCIDENT_RULES, "state_capital_budget"},
    }


@pytest.mark.parametrize(("key", "names"), [
    ("hongze", ["repost"]),
    ("tongliao", ["list_adjustment", "interpretation"]),
    ("linyi", ["interpretation", "normative_publication"]),
    ("xinyuan", ["interpretation"]),
])
def test_overrides_that_confirm_the_national_terms_change_only_the_citation(key, names):
    for name in names:
        rule, base = shipped_profile(key).rules[name], national()[name]
        assert rule.source != base.source
        assert rule.terms()[:3] + rule.terms()[4:] == base.terms()[:3] + base.terms()[4:]


# -- one deadline per rule a plan changes ---------------------------------------------------------
def test_list_adjustment_linyi_10_working_days_tongliao_20():
    """Adjusted on 2026-09-25 (中秋节, day 0): 09-28..30 are working days 1-3, 国庆 10-01..07 is
    not counted, 10-08 and 10-09 are 4-5, the make-up Saturday 10-10 is 6, 10-12..15 are 7-10;
    then 10-16 is 11, 10-19..23 are 12-16 and 10-26..29 are 17-20."""
    start = date(2026, 9, 25)
    assert last_day(shipped_profile("linyi"), "list_adjustment", start) == date(2026, 10, 15)
    assert last_day(shipped_profile("tongliao"), "list_adjustment", start) == date(2026, 10, 29)
    assert last_day(shipped_profile("national"), "list_adjustment", start) == date(2026, 10, 29)


def test_interpretation_hongze_same_day_others_3_working_days():
    """Published on 2026-09-30: 洪泽 publishes the interpretation with the document (0 working
    days: 24:00 that day); the 3 working days of 通辽, 临沂 and 新源 are 10-08, 10-09 and the
    make-up Saturday 10-10."""
    hongze = shipped_profile("hongze")
    published = at(date(2026, 9, 30), 8)
    d = due(hongze, "interpretation", published)
    assert (d.last_day, d.due_at) == (date(2026, 9, 30), end_of_day(date(2026, 9, 30)))
    cal = bundled_calendar("cn")
    # Its ladder can happen: the morning reminder, the supervisor at 24:00, the leader two working days on.
    assert [r.instant(d, cal) for r in hongze.rules["interpretation"].ladder] == [
        start_of_day(date(2026, 9, 30), 9), end_of_day(date(2026, 9, 30)), end_of_day(date(2026, 10, 9))]
    for key in ("tongliao", "linyi", "xinyuan", "national", "fengquan"):
        assert due(shipped_profile(key), "interpretation", published).last_day == date(2026, 10, 10), key


def test_linyi_rules_of_its_own():
    """Executive meeting on 2026-09-30: reported by the next working day, 10-08. A licensing
    decision on 2026-09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up), 10-12, 10-13. A reply to a
    deputy on 2026-09-01: one month is 10-01, in 国庆, so the last day is the first working day after
    it, 10-08 (民法典 Art. 203). Normative documents: the national 15 working days, 临沂's wording."""
    linyi = shipped_profile("linyi")
    assert last_day(linyi, "meeting_decision", date(2026, 9, 30)) == date(2026, 10, 8)
    assert last_day(linyi, "decision_publication", date(2026, 9, 28)) == date(2026, 10, 13)
    assert last_day(linyi, "handling_result", date(2026, 9, 1)) == date(2026, 10, 8)
    assert linyi.rules["handling_result"].kind == "months"
    for name in ("meeting_decision", "decision_publication", "handling_result"):
        assert name not in national()


def test_xinyuan_counts_on_the_xinjiang_calendar():
    """古尔邦节 2026-05-27..31 is a holiday in Xinjiang only (national working days Wed-Fri). An
    interpretation due 3 working days after 05-26 is 05-29 nationally, 06-03 in 新源; the state
    capital budget approved on 05-08 is due 20 days later, 05-28, a holiday in Xinjiang, so the
    first working day after it, 06-01."""
    xinyuan = shipped_profile("xinyuan")
    assert xinyuan.region == "xinjiang"
    assert not bundled_calendar("xinjiang").is_working_day(date(2026, 5, 28))
    assert bundled_calendar("cn").is_working_day(date(2026, 5, 28))
    assert last_day(shipped_profile("national"), "interpretation", date(2026, 5, 26)) == date(2026, 5, 29)
    assert last_day(xinyuan, "interpretation", date(2026, 5, 26)) == date(2026, 6, 3)
    budget = xinyuan.rules["state_capital_budget"]
    assert (budget.kind, budget.amount) == ("calendar_days", 20)
    assert last_day(xinyuan, "state_capital_budget", date(2026, 5, 8)) == date(2026, 6, 1)
    nationally = compute(ClockSpec(budget.kind, budget.amount, at(date(2026, 5, 8))), bundled_calendar("cn"))
    assert nationally.last_day == date(2026, 5, 28)


# -- incident clocks --------------------------------------------------------------------------------
EVENT = datetime(2026, 10, 2, 1, 0, tzinfo=CST)  # 国庆: hour clocks run through holidays
FOUND = EVENT + timedelta(hours=3)


def applying(key: str) -> set[str]:
    rules = shipped_profile(key).rules
    return {n for n in INCIDENT_RULES if rules[n].applies}


def test_which_incident_clocks_each_plan_has():
    """5 h in 洪泽 and 通辽 only; 48 h in 通辽 and 临沂 only; 凤泉's plan is silent: national."""
    assert {k: applying(k) for k in SHIPPED} == {
        "national": set(INCIDENT_RULES), "fengquan": set(INCIDENT_RULES), "tongliao": set(INCIDENT_RULES),
        "hongze": {"authoritative_release", "press_conference"},
        "linyi": {"press_conference", "opinion_response"},
        "xinyuan": {"press_conference"},
    }


def incident_dues(key: str, grade: str) -> dict[str, datetime | None]:
    """The due instant of each clock the case starts under the profile, from the event at 01:00
    and its detection at 04:00 (the rule's anchor picks which)."""
    profile = shipped_profile(key)
    anchors = {n: r.anchor for n, r in profile.rules.items() if r.anchor}
    return {p.rule: due(profile, p.rule, p.start).due_at
            for p in clock_plan(grade, EVENT, FOUND, anchors) if profile.rules[p.rule].applies}


@pytest.mark.parametrize(("key", "major", "other"), [
    ("national", {"authoritative_release": EVENT + timedelta(hours=5), "press_conference": EVENT + timedelta(hours=24)},
     {"opinion_response": EVENT + timedelta(hours=48)}),
    ("fengquan", {"authoritative_release": EVENT + timedelta(hours=5), "press_conference": EVENT + timedelta(hours=24)},
     {"opinion_response": EVENT + timedelta(hours=48)}),
    ("hongze", {"authoritative_release": FOUND + timedelta(hours=5), "press_conference": FOUND + timedelta(hours=24)},
     {}),
    ("tongliao", {"authoritative_release": FOUND + timedelta(hours=5), "press_conference": FOUND + timedelta(hours=24)},
     {"opinion_response": FOUND + timedelta(hours=48)}),
    ("linyi", {"press_conference": FOUND + timedelta(hours=24)}, {"opinion_response": FOUND + timedelta(hours=48)}),
    ("xinyuan", {"press_conference": EVENT + timedelta(hours=24)}, {}),
])
def test_incident_due_instants_under_each_profile(key, major, other):
    """新源 counts the press conference from the event ("发生后", C13); 洪泽, 通辽 and 临沂 from the
    opinion case, i.e. its detection ("涉及…的政务舆情")."""
    grade = sorted(MAJOR_GRADES)[0]
    assert incident_dues(key, grade) == major
    assert incident_dues(key, "general") == other


# -- installed ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", JURISDICTIONS)
async def test_each_profile_installs_as_version_1_of_the_offices_rules(db, key):
    """What GONGKAI_PROFILE=<key> gives on first start: version 1 with the profile's rules, region
    and citation, read back as the RuleBook cases carry (the 临沂 and 新源 rules of their own too)."""
    profile = shipped_profile(key)
    async with db.session_factory() as s:
        row = await rule_store.latest(s, key)
        assert (row.profile, row.number, row.origin, row.region, row.source) == (
            key, 1, "shipped", profile.region, profile.source)
        book = rule_store.book_of(row)
        assert {n: replace(r, version=0, note="") for n, r in book.rules.items()} == profile.rules
        assert (await rule_store.latest(s, key)).id == row.id  # nothing to upgrade: no second version
