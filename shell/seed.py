"""First-start data: the bundled calendars, the starter 主动公开基本目录 (while the catalogue is empty),
and demo departments and accounts. Idempotent."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from sqlmodel import Session, select

from gongkai import blobs
from gongkai.calendar_store import seed_bundled
from gongkai.catalogue import starter_entries
from gongkai.logs import get_logger
from gongkai.passwords import hash_password
from gongkai.settings import get_settings
from models import CatalogueEntry, Department, OfficeProfile, Role, User
from models.accounts import DepartmentKind

log = get_logger(__name__)

DEMO_PASSWORD = "gongkai2026"
# A plausible office for the demo's letters; its seal says 演示专用 (for demonstration only).
DEMO_OFFICE = {
    "agency_name": "某某市示范区人民政府", "agency_code": "示区府公开", "address": "某某市示范区人民路1号",
    "postal_code": "100000", "phone": "010-12345678", "reconsideration_body": "某某市人民政府",
    "court": "某某市中级人民法院",
}
DEMO_SEAL = Path(__file__).resolve().parent / "data" / "demo-seal.png"
DEMO_DEPARTMENTS = [
    ("GKB", "区政务公开办", DepartmentKind.OPENNESS_OFFICE),
    ("ZFB", "区政府办公室", DepartmentKind.GENERAL_OFFICE),
    ("JYJ", "区教育局", DepartmentKind.DEPARTMENT),
    ("ZRZY", "区自然资源局", DepartmentKind.DEPARTMENT),
    ("WJW", "区卫生健康委", DepartmentKind.DEPARTMENT),
]
# Display names are people's names: the header shows the role beside the name (web/templates/base.html),
# so a name that carried its role read "李明（公开办经办人）（经办人）". The office is a 区 (DEMO_OFFICE):
# its departments say 区; the names say no title of either a 区 or a 县. Demo accounts keep the demo
# password without a forced change (they are for trying the system out; accounts an administrator
# creates must change theirs).
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", Role.ADMIN, "GKB"),
    ("gkb_head", "王建国", Role.OFFICE_HEAD, "GKB"),
    ("gkb_officer", "李明", Role.OFFICER, "GKB"),
    ("duban", "赵敏", Role.SUPERVISOR, "GKB"),
    ("leader", "陈立新", Role.LEADER, "ZFB"),
    ("zhuyao", "钱志远", Role.PRINCIPAL_HEAD, "ZFB"),
    ("zfb_head", "周平", Role.DEPT_HEAD, "ZFB"),
    ("jyj_head", "刘洪", Role.DEPT_HEAD, "JYJ"),
    ("jyj_officer", "张华", Role.OFFICER, "JYJ"),
    ("zrzy_head", "孙涛", Role.DEPT_HEAD, "ZRZY"),
    ("zrzy_officer", "吴静", Role.OFFICER, "ZRZY"),
    ("wjw_officer", "郑洁", Role.OFFICER, "WJW"),
]
# The names earlier demo installations were seeded with: renamed on the next start, unless edited since.
OLD_DEMO_NAMES = {
    "gkb_head": "王主任（公开办负责人）", "gkb_officer": "李明（公开办经办人）", "duban": "赵督办",
    "leader": "陈副区长（分管领导）", "zhuyao": "钱区长（主要负责人）", "zfb_head": "周主任（政府办负责人）",
    "jyj_head": "刘局长（教育局负责人）", "jyj_officer": "张华（教育局经办人）",
    "zrzy_head": "孙局长（自然资源局负责人）", "zrzy_officer": "吴静（自然资源局经办人）",
    "wjw_officer": "郑洁（卫健委经办人）",
}


def seed(session: Session, *, demo: bool) -> dict[str, int]:
    counts = {"calendar_versions": seed_bundled(session), "departments": 0, "accounts": 0,
              "catalogue": seed_catalogue(session)}
    depts = {d.code: d for d in session.exec(select(Department))}
    if demo:
        for code, name, kind in DEMO_DEPARTMENTS:
            if code not in depts:
                depts[code] = Department(code=code, name=name, kind=kind)
                session.add(depts[code])
                counts["departments"] += 1
        session.flush()
        users = {u.username: u for u in session.exec(select(User))}
        password_hash = None
        for username, name, role, dept in DEMO_ACCOUNTS:
            if username in users:
                if users[username].display_name == OLD_DEMO_NAMES.get(username):
                    users[username].display_name = name
                continue
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            session.add(User(username=username, display_name=name, password_hash=password_hash,
                             role=role, department_id=depts[dept].id))
            counts["accounts"] += 1
        if session.get(OfficeProfile, 1) is None:
            session.add(OfficeProfile(id=1, **DEMO_OFFICE, seal_sha256=blobs.save(DEMO_SEAL.read_bytes()),
                                      updated_by="seed"))
            counts["office"] = 1
    else:
        admin_password = os.environ.get("GONGKAI_ADMIN_PASSWORD")
        if admin_password and not session.exec(select(User).where(User.role == Role.ADMIN)).first():
            if "GKB" not in depts:
                depts["GKB"] = Department(code="GKB", name="政务公开办", kind=DepartmentKind.OPENNESS_OFFICE)
                session.add(depts["GKB"])
                session.flush()
            session.add(User(username="admin", display_name="系统管理员", role=Role.ADMIN,
                             password_hash=hash_password(admin_password), department_id=depts["GKB"].id))
            counts["accounts"] += 1
    session.commit()
    return counts


def seed_catalogue(session: Session) -> int:
    """The starter catalogue, into an empty one only: entries are deactivated, never deleted, so an
    office that has kept its catalogue never gets the starter again."""
    if session.exec(select(CatalogueEntry.id)).first() is not None:
        return 0
    entries = starter_entries()
    for entry in entries:
        session.add(CatalogueEntry(**asdict(entry), created_by="seed", updated_by="seed"))
    return len(entries)


def seed_sync() -> dict[str, int]:
    from gongkai.database import sync_session

    with sync_session() as session:
        counts = seed(session, demo=get_settings().demo_data)
    log.info("seeded", **counts)
    return counts
