"""Administration: departments and accounts. Every change is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.contacts import email_address, mobile_number
from gongkai.errors import InvalidInput, NotFound
from gongkai.passwords import hash_password, password_problem
from gongkai.roles import ACCOUNT_ROLES, DEPARTMENT_KIND_ZH, ROLE_ZH
from models import AuditEvent, Department, Role, User
from web.audit import audit
from web.guards import admin_only
from web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _audit(db: AsyncSession, actor: User, action: str, summary: str, **detail) -> None:
    audit(db, actor, "admin", action, summary, **detail)


def _clean(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


async def _departments(db: AsyncSession) -> list[Department]:
    return list((await db.execute(select(Department).order_by(Department.id))).scalars())


ACCOUNT_ROLE_ZH = {r: ROLE_ZH[r] for r in ACCOUNT_ROLES}  # no account is an applicant


def _contacts(data: dict) -> tuple[str, str]:
    """The work e-mail address and mobile number typed (both optional). Staff personal data: they
    go to the account row only, never to an audit row's values or a log."""
    return email_address(data.get("email") or ""), mobile_number(data.get("mobile") or "")


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False
    guards = [admin_only]

    async def _dept_page(self, db, user, status_code=200, error=None, form=None) -> Template:
        return await page("admin/departments.html", db, user, status_code=status_code, departments=await
                          _departments(db), kinds=DEPARTMENT_KIND_ZH, error=error, form=form or {})

    @get("/departments")
    async def departments(self, db: AsyncSession, user: User) -> Template:
        return await self._dept_page(db, user)

    @post("/departments")
    async def create_department(self, db: AsyncSession, user: User, data: Form) -> Template | Redirect:
        code, name, kind = _clean(data.get("code"), 32).upper(), _clean(data.get("name"), 100), data.get("kind", "")
        try:
            if not code or not code.replace("_", "").isalnum():
                raise InvalidInput("部门代码只能由字母、数字和下划线组成，且不能为空")
            if not name:
                raise InvalidInput("部门名称不能为空")
            if kind not in DEPARTMENT_KIND_ZH:
                raise InvalidInput("请选择部门类型")
            if (await db.execute(select(Department).where(Department.code == code))).first():
                raise InvalidInput(f"部门代码“{code}”已存在")
        except InvalidInput as exc:
            return await self._dept_page(db, user, 400, exc.message, data)
        db.add(Department(code=code, name=name, kind=kind))
        _audit(db, user, "department_created", f"新建部门 {name}（{code}）", code=code)
        await db.commit()
        return Redirect("/admin/departments")

    @post("/departments/{dept_id:int}")
    async def update_department(self, db: AsyncSession, user: User, dept_id: int, data: Form) -> Template | Redirect:
        dept = await db.get(Department, dept_id)
        if dept is None:
            raise NotFound("部门不存在")
        name, kind = _clean(data.get("name"), 100), data.get("kind", dept.kind)
        if not name or kind not in DEPARTMENT_KIND_ZH:
            return await self._dept_page(db, user, 400, "部门名称不能为空，类型必须有效")
        active = data.get("active") == "on"
        changes = {k: v for k, v in {"name": name, "kind": kind, "active": active}.items() if getattr(dept, k) != v}
        dept.name, dept.kind, dept.active = name, kind, active
        if changes:
            _audit(db, user, "department_updated", f"修改部门 {dept.name}（{dept.code}）", code=dept.code,
                   changes={k: str(v) for k, v in changes.items()})
        await db.commit()
        return Redirect("/admin/departments")

    # -- accounts ---------------------------------------------------------------------------
    async def _accounts_page(self, db, user, status_code=200, error=None, form=None, error_field=None) -> Template:
        users = list((await db.execute(select(User).order_by(User.department_id, User.id))).scalars())
        depts = await _departments(db)
        return await page("admin/accounts.html", db, user, status_code=status_code, accounts=users,
                          departments=depts, dept_names={d.id: d.name for d in depts}, roles=ACCOUNT_ROLE_ZH,
                          error=error, error_field=error_field, form=form or {})

    @get("/accounts")
    async def accounts(self, db: AsyncSession, user: User) -> Template:
        return await self._accounts_page(db, user)

    async def _validate_account(self, db, data: dict, *, creating: bool) -> tuple[str, str, str, int]:
        username = _clean(data.get("username"), 64)
        display = _clean(data.get("display_name"), 100)
        role = data.get("role", "")
        if creating and (not username or not all(c.isalnum() or c in "_.-" for c in username)):
            raise InvalidInput("用户名只能由字母、数字、下划线、点和连字符组成，且不能为空")
        if not display:
            raise InvalidInput("姓名不能为空")
        if role not in ACCOUNT_ROLES:
            raise InvalidInput("请选择角色")
        try:
            dept_id = int(data.get("department_id", ""))
        except ValueError:
            raise InvalidInput("请选择所属部门") from None
        dept = await db.get(Department, dept_id)
        if dept is None or not dept.active:
            raise InvalidInput("所属部门不存在或已停用")
        return username, display, role, dept_id

    @post("/accounts")
    async def create_account(self, db: AsyncSession, user: User, data: Form) -> Template | Redirect:
        try:
            username, display, role, dept_id = await self._validate_account(db, data, creating=True)
            if (await db.execute(select(User).where(User.username == username))).first():
                raise InvalidInput(f"用户名“{username}”已被使用")
            email, mobile = _contacts(data)
            problem = password_problem(data.get("password", ""))
            if problem:
                raise InvalidInput(problem)
        except InvalidInput as exc:
            form = {k: v for k, v in data.items() if k != "password"}
            return await self._accounts_page(db, user, 400, exc.message, form, exc.field)
        # The administrator knows this password: its owner changes it at the first login.
        db.add(User(username=username, display_name=display, role=role, department_id=dept_id, email=email,
                    mobile=mobile, password_hash=hash_password(data["password"]), must_change_password=True))
        _audit(db, user, "account_created", f"新建账号 {username}（{ROLE_ZH[Role(role)]}）", username=username)
        await db.commit()
        return Redirect("/admin/accounts")

    @get("/accounts/{account_id:int}")
    async def edit_account(self, db: AsyncSession, user: User, account_id: int) -> Template:
        account = await db.get(User, account_id)
        if account is None:
            raise NotFound("账号不存在")
        return await page("admin/account_edit.html", db, user, account=account, departments=await _departments(db),
                          roles=ACCOUNT_ROLE_ZH, error=None, form={})

    @post("/accounts/{account_id:int}")
    async def update_account(self, db: AsyncSession, user: User, account_id: int, data: Form) -> Template | Redirect:
        account = await db.get(User, account_id)
        if account is None:
            raise NotFound("账号不存在")
        try:
            _u, display, role, dept_id = await self._validate_account(db, data, creating=False)
            email, mobile = _contacts(data)
            new_password = data.get("password", "")
            if new_password:
                problem = password_problem(new_password)
                if problem:
                    raise InvalidInput(problem)
            active = data.get("active") == "on"
            if account.id == user.id and (not active or role != Role.ADMIN):
                raise InvalidInput("不能停用自己的账号或取消自己的管理员角色")
        except InvalidInput as exc:  # the form comes back as typed (the password excepted)
            form = {k: v for k, v in data.items() if k != "password"} | {"active": data.get("active", "")}
            return await page("admin/account_edit.html", db, user, status_code=400, account=account,
                              departments=await _departments(db), roles=ACCOUNT_ROLE_ZH, error=exc.message,
                              error_field=exc.field, form=form)
        contacts = [k for k, v in {"email": email, "mobile": mobile}.items() if getattr(account, k) != v]
        account.display_name, account.role, account.department_id, account.active = display, role, dept_id, active
        account.email, account.mobile = email, mobile
        if new_password:  # a reset: its owner's sessions end, and the owner changes it at the next login
            account.password_hash, account.password_changed_at = hash_password(new_password), datetime.now(UTC)
            account.must_change_password = account.id != user.id
        _audit(db, user, "account_updated", f"修改账号 {account.username}", username=account.username,
               role=role, department_id=dept_id, active=active, password_reset=bool(new_password),
               contacts_changed=contacts)  # which contacts changed, never their values
        await db.commit()
        return Redirect("/admin/accounts")

    @get("/audit")
    async def audit(self, db: AsyncSession, user: User) -> Template:
        from web.render import beijing

        events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id.in_(
            ("admin", "calendar", "auth"))).order_by(AuditEvent.id.desc()).limit(200))).scalars())
        return await page("admin/audit.html", db, user, events=events, beijing=beijing)


