"""Jurisdiction profiles as TOML: the shipped ones (gongkai/data/profiles/), reading a profile an
administrator uploads, and writing one out. A profile is a base (the national defaults) plus the
office's overrides; every problem in a file is reported with its line, and a file with any problem
changes nothing."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from gongkai.clock import ClockKind
from gongkai.errors import InvalidInput, NotFound
from gongkai.rules import Rule, RuleBook, Rung, rule_problems
from gongkai.workdays import REGIONS

PROFILES_DIR = Path(__file__).resolve().parent / "data" / "profiles"
# The shipped profiles, in the order the admin page lists them.
SHIPPED = ("national", "hongze", "tongliao", "linyi", "fengquan", "xinyuan")
PROFILE_KEYS = ("key", "name", "region", "base", "source")
RULE_KEYS = ("label", "kind", "amount", "source", "anchor", "applies", "ladder")
RUNG_KEYS = ("when", "to", "level", "task", "channels")
MAX_FILE = 256 * 1024


@dataclass(frozen=True)
class Profile:
    key: str
    name: str
    region: str
    source: str
    rules: dict[str, Rule]


class _Lines:
    """Where things are in a TOML text: the line of a table, of a key in it, of the n-th rung of a
    ladder. tomllib gives values without positions, so they are found by scanning."""

    _HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.tables: dict[str, int] = {}
        self.keys: dict[tuple[str, str], int] = {}
        self.rungs: dict[str, list[int]] = {}
        table = ""
        in_ladder = False
        for no, line in enumerate(text.split("\n"), start=1):  # TOML's newlines, not str.splitlines()'s
            m = self._HEADER.match(line)
            if m:
                table = ".".join(p.strip().strip('"') for p in m.group(1).split("."))
                self.tables.setdefault(table, no)
                in_ladder = False
                continue
            km = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_-]*|\"[^\"]*\")\s*=", line)
            if km:
                key = km.group(1).strip('"')
                self.keys.setdefault((table, key), no)
                in_ladder = key == "ladder"
            if in_ladder:
                self.rungs.setdefault(table, []).extend([no] * line.count("{"))

    def of(self, table: str, key: str = "", rung: int | None = None) -> int | None:
        if rung is not None and rung < len(self.rungs.get(table, [])):
            return self.rungs[table][rung]
        return self.keys.get((table, key)) or self.tables.get(table)


def _at(line: int | None, message: str) -> str:
    return f"第 {line} 行：{message}" if line else message


def _rung(item: Any) -> Rung:
    if not isinstance(item, dict):
        raise ValueError("每级提醒应写成 { when = \"…\", to = \"…\", level = 0 }")
    unknown = [k for k in item if k not in RUNG_KEYS]
    if unknown:
        raise ValueError(f"提醒中有未知的键：{'、'.join(unknown)}（可用：{'、'.join(RUNG_KEYS)}）")
    when, to = item.get("when", ""), item.get("to", "")
    level, task, channels = item.get("level", 0), item.get("task", False), item.get("channels", [])
    if not isinstance(when, str) or not isinstance(to, str):
        raise ValueError("提醒的 when 和 to 应为文字")
    if not isinstance(level, int) or isinstance(level, bool) or not isinstance(task, bool):
        raise ValueError("提醒的 level 应为整数，task 应为 true 或 false")
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise ValueError("提醒的 channels 应为文字列表")
    return Rung(f"{when}:{to}", when, to, level, task, tuple(channels))


def _typed(key: str, value: Any) -> Any:
    """A rule field from TOML, checked for its type (its meaning is checked by rule_problems)."""
    if key in {"label", "source", "anchor"}:
        if not isinstance(value, str):
            raise ValueError(f"{key} 应为文字")
        return value.strip()
    if key == "kind":
        try:
            return ClockKind(value)
        except ValueError:
            raise ValueError(f"期限类型无效：{value!r}（可选：{'、'.join(k.value for k in ClockKind)}）") from None
    if key == "amount":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"期限 amount 应为整数，而不是 {value!r}")
        return value
    if key == "applies":
        if not isinstance(value, bool):
            raise ValueError("applies 应为 true 或 false")
        return value
    if not isinstance(value, list):  # ladder (its rungs are read one by one, each at its own line)
        raise ValueError("ladder 应为提醒列表")
    return value


def read_profile(text: str, base: dict[str, Rule], *, allow_new: bool = False) -> Profile:
    """A profile from TOML text: `base` with the file's overrides. Raises InvalidInput naming every
    problem and its line (`detail["problems"]`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"第 {m.group(1)} 行第 {m.group(2)} 列：" if m else ""
        raise InvalidInput(f"{where}文件不是有效的 TOML：{str(exc).split(' (at line')[0]}",
                           field="file") from None
    lines = _Lines(text)
    problems: list[str] = []
    for key in data:
        if key not in {"profile", "rules"}:
            problems.append(_at(lines.of(key) or lines.of("", key), f"未知的键“{key}”（可用：profile、rules）"))
    head = data.get("profile", {})
    if not isinstance(head, dict):
        problems.append(_at(lines.of("", "profile"), "profile 应为一个表"))
        head = {}
    for key in head:
        if key not in PROFILE_KEYS:
            problems.append(_at(lines.of("profile", key),
                                f"profile 中有未知的键“{key}”（可用：{'、'.join(PROFILE_KEYS)}）"))
    for key in PROFILE_KEYS:
        if not isinstance(head.get(key, ""), str):
            problems.append(_at(lines.of("profile", key), f"profile 的 {key} 应为文字"))
    region = head.get("region", "cn")
    if isinstance(region, str) and region not in REGIONS:
        problems.append(_at(lines.of("profile", "region"), f"未知的日历地区“{region}”（可选：{'、'.join(REGIONS)}）"))
    rules = dict(base)
    table = data.get("rules", {})
    if not isinstance(table, dict):
        problems.append(_at(lines.of("", "rules"), "rules 应为表"))
        table = {}
    for name, item in table.items():
        where = f"rules.{name}"
        if not isinstance(item, dict):
            problems.append(_at(lines.of("rules", name), f"规则 {name} 应为一个表"))
            continue
        known = rules.get(name)
        if known is None and not allow_new:
            problems.append(_at(lines.of(where), f"未知的规则“{name}”（本系统的规则：{'、'.join(base)}）"))
            continue
        fields: dict[str, Any] = {}
        failed: set[str] = set()  # fields left at their base value: not checked against the others
        for key, value in item.items():
            if key not in RULE_KEYS:
                problems.append(_at(lines.of(where, key),
                                    f"规则 {name} 中有未知的键“{key}”（可用：{'、'.join(RULE_KEYS)}）"))
                continue
            try:
                fields[key] = _typed(key, value)
            except ValueError as exc:
                problems.append(_at(lines.of(where, key), f"规则 {name}：{exc}"))
                failed.add(key)
        if "ladder" in fields:
            rungs = []
            for i, entry in enumerate(fields["ladder"]):
                try:
                    rungs.append(_rung(entry))
                except ValueError as exc:
                    problems.append(_at(lines.of(where, "ladder", i), f"规则 {name}：第 {i + 1} 级提醒：{exc}"))
            if len(rungs) == len(fields["ladder"]):
                fields["ladder"] = tuple(rungs)
            else:
                del fields["ladder"]
                failed.add("ladder")
        if known is None:
            missing = [k for k in ("label", "kind", "amount", "source") if k not in fields]
            if missing:
                problems.append(_at(lines.of(where), f"新规则 {name} 缺少：{'、'.join(missing)}"))
                continue
            known = Rule(name, "", ClockKind.WORKING_DAYS, 0, "", ())
        rule = replace(known, **fields)
        for field, messages in rule_problems(rule).items():
            if field.split(".")[0] in failed:
                continue
            rung = int(field.split(".")[1]) if field.startswith("ladder.") else None
            line = lines.of(where, field if rung is None else "ladder", rung)
            problems += [_at(line, f"规则 {name}（{rule.label}）：{m}") for m in messages]
        rules[name] = rule
    if problems:
        raise InvalidInput("；".join(problems[:20]) + ("；……" if len(problems) > 20 else ""), field="file",
                           detail={"problems": problems})
    return Profile(str(head.get("key", "")), str(head.get("name", "")), str(region), str(head.get("source", "")),
                   rules)


def decode_upload(data: bytes) -> str:
    """An uploaded profile file as text for `read_profile`: UTF-8 (a byte-order mark, as Windows
    editors write one, is dropped), at most MAX_FILE bytes."""
    if len(data) > MAX_FILE:
        raise InvalidInput(f"文件过大（{len(data) // 1024} KB，上限 {MAX_FILE // 1024} KB）", field="file")
    if not data.strip():
        raise InvalidInput("文件是空的", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(f"文件不是 UTF-8 编码的文本（第 {line} 行有无法识别的字节）", field="file") from None


@cache
def shipped_profile(key: str) -> Profile:
    """A profile shipped with the code: national.toml, or a jurisdiction's overrides on its base."""
    if key not in SHIPPED:
        raise NotFound(f"未知的规则方案：{key}（可选：{'、'.join(SHIPPED)}）")
    text = (PROFILES_DIR / f"{key}.toml").read_text(encoding="utf-8")
    base_key = tomllib.loads(text).get("profile", {}).get("base", "")
    base = shipped_profile(base_key).rules if base_key else {}
    return read_profile(text, base, allow_new=True)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A TOML basic string: quotes, backslashes and control characters escaped (a source typed with a
    # line break would otherwise make the export unreadable).
    return '"' + "".join(_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
                         for c in str(value)) + '"'


def write_profile(key: str, name: str, region: str, source: str, rules: dict[str, Rule], comment: str = "") -> str:
    """A profile as TOML, every rule in full: what export gives and import takes back."""
    out = [f"# {line}" for line in comment.splitlines()]
    out += ["[profile]", f"key = {_value(key)}", f"name = {_value(name)}", f"region = {_value(region)}",
            f"source = {_value(source)}", ""]
    for rule in rules.values():
        out += [f"[rules.{rule.name}]", f"label = {_value(rule.label)}", f"kind = {_value(rule.kind.value)}",
                f"amount = {rule.amount}", f"source = {_value(rule.source)}"]
        if rule.anchor:
            out.append(f"anchor = {_value(rule.anchor)}")
        if not rule.applies:
            out.append("applies = false")
        out.append("ladder = [")
        for r in rule.ladder:
            parts = [f"when = {_value(r.when)}", f"to = {_value(r.to)}", f"level = {r.level}"]
            if r.task:
                parts.append("task = true")
            if r.channels:
                parts.append("channels = [" + ", ".join(_value(c) for c in r.channels) + "]")
            out.append("  { " + ", ".join(parts) + " },")
        out += ["]", ""]
    return "\n".join(out)


def default_rules() -> dict[str, Rule]:
    """The national profile as shipped with the code (gongkai/data/profiles/national.toml)."""
    return shipped_profile("national").rules


def get_rule(name: str) -> Rule:
    try:
        return default_rules()[name]
    except KeyError:
        raise NotFound(f"未知的期限规则：{name}") from None


def legacy_book() -> RuleBook:
    """What a case started before profiles runs by: the national profile as shipped."""
    return RuleBook("national", 0, "cn", default_rules())


# Read when this module is first imported (outside any workflow sandbox, where files cannot be read):
# a case started before versions reads the shipped national rules inside its workflow.
default_rules()
