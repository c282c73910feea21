"""Who acts: the roles of accounts (and the applicant, who has none), and the acting user as a
workflow and a rule see it."""


from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    DEPT_HEAD = "dept_head"
    OFFICE_HEAD = "office_head"  # head of the open-information office (政府信息公开工作机构负责人)
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    PRINCIPAL_HEAD = "principal_head"  # 主要负责人: leads in major emergencies (C14)
    ADMIN = "admin"
    APPLICANT = "applicant"  # outside the government, with a tracking code; never an account


ROLE_ZH = {
    Role.OFFICER: "经办人",
    Role.DEPT_HEAD: "部门负责人",
    Role.OFFICE_HEAD: "公开办负责人",
    Role.SUPERVISOR: "督办人员",
    Role.LEADER: "领导",
    Role.PRINCIPAL_HEAD: "主要负责人",
    Role.ADMIN: "系统管理员",
    Role.APPLICANT: "申请人",
}
ACCOUNT_ROLES = tuple(r for r in Role if r is not Role.APPLICANT)
# Roles that see every department's cases, boards and reports.
WIDE_ROLES = frozenset({Role.OFFICE_HEAD, Role.SUPERVISOR, Role.LEADER, Role.PRINCIPAL_HEAD, Role.ADMIN})
HEADS = frozenset({Role.DEPT_HEAD, Role.OFFICE_HEAD})
LEADERS = frozenset({Role.LEADER, Role.PRINCIPAL_HEAD})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.LEADER, Role.PRINCIPAL_HEAD, Role.OFFICE_HEAD})  # may issue 督办


class DepartmentKind(StrEnum):
    """What a department is: the open-information office coordinates, the general office (政府办)
    reviews drafts issued in the government's name, the others are line departments."""

    DEPARTMENT = "department"
    OPENNESS_OFFICE = "openness_office"
    GENERAL_OFFICE = "general_office"


DEPARTMENT_KIND_ZH = {
    DepartmentKind.DEPARTMENT: "业务部门",
    DepartmentKind.OPENNESS_OFFICE: "政务公开办",
    DepartmentKind.GENERAL_OFFICE: "政府办公室",
}


@dataclass(frozen=True)
class Actor:
    """The acting user as a workflow sees it: no personal data beyond what the rules need."""

    user_id: int
    username: str
    role: Role
    department_id: int
    department_kind: DepartmentKind = DepartmentKind.DEPARTMENT


APPLICANT = Actor(0, "applicant", Role.APPLICANT, 0)
SYSTEM_ADMIN = Actor(0, "system", Role.ADMIN, 0)  # the command line, acting for the administrators
