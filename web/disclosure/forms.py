"""Reading and checking the request forms (public and officer intake). Messages in Chinese;
the values entered come back on a refusal so nothing is lost."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from litestar.datastructures import UploadFile

from contracts.disclosure import Applicant, Attachment
from gongkai import blobs, fields
from gongkai.clock import CST
from gongkai.disclosure import (
    APPLICANT_TYPES,
    CONFIRMATION_CHANNELS,
    ID_DOC_TYPES,
    INTAKE_CHANNELS,
    MAX_REPLY_FILES,
    PROVISION_CHANNELS,
    PROVISION_FORMS,
)
from gongkai.errors import InvalidInput
from web.disclosure import kept

RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")
PHONE = re.compile(r"^[\d\-+ ]{7,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_FILES = 3
T = TypeVar("T")


@dataclass
class RequestForm:
    applicant: Applicant
    description: str
    provision_form: str
    provision_channel: str
    key: str
    intake_channel: str = "online"
    received_date: str | None = None
    department_id: int | None = None
    uploads: list[tuple[str, bytes]] = field(default_factory=list)


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _choice(data: dict, name: str, options: dict, what: str) -> str:
    value = _text(data, name, 64)
    if value not in options:
        raise InvalidInput(f"请选择{what}", field=name)
    return value


class Problems:
    """Every refusal of one form at once, each beside its field (the first per field), so the
    person corrects them all in one try."""

    def __init__(self) -> None:
        self.by_field: dict[str, str] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def check(self, name: str, check: Callable[[], T], default: T) -> T:
        try:
            return check()
        except InvalidInput as exc:
            self.add(exc.field or name, exc.message)
            return default

    def raise_any(self) -> None:
        if self.by_field:
            first = next(iter(self.by_field))
            raise InvalidInput("；".join(self.by_field.values()), field=first, detail={"errors": dict(self.by_field)})


async def _files(data: dict, problems: Problems | None = None) -> list[tuple[str, bytes]]:
    """The uploads kept from a refused try (web/disclosure/kept.py) and the new ones, each checked;
    a bad file is reported (with the others) and dropped, the good ones stay."""
    raw = data.get("attachments")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out = kept.restore(data)
    for item in items:
        if isinstance(item, UploadFile) and item.filename:
            content = await item.read(blobs.MAX_BYTES + 1)
            try:
                blobs.check_upload(item.filename, content)
            except InvalidInput as exc:
                if problems is None:
                    raise
                problems.add("attachments", exc.message)
                continue
            out.append((item.filename.replace("\\", "/").rsplit("/", 1)[-1][-200:], content))
    if len(out) > MAX_FILES:
        message = f"最多上传{MAX_FILES}个附件"
        if problems is None:
            raise InvalidInput(message, field="attachments")
        problems.add("attachments", message + "，请重新选择")
        out = []  # which three were meant is the person's choice: none is kept
    return out


async def parse_request_form(data: dict, *, public: bool) -> RequestForm:
    """The request, or one refusal naming every problem (`detail["errors"]`: field → message) with
    the good uploads in `detail["uploads"]`, for the form to keep them."""
    problems = Problems()
    applicant_type = problems.check("applicant_type",
                                    lambda: _choice(data, "applicant_type", APPLICANT_TYPES, "申请人类型"), "")
    name = _text(data, "name", 100)
    if not name:
        problems.add("name", "请填写申请人姓名或组织名称")
    id_doc_type = problems.check("id_doc_type", lambda: _choice(data, "id_doc_type", ID_DOC_TYPES, "身份证明类型"), "")
    id_doc_number = _text(data, "id_doc_number", 64)
    if not id_doc_number:
        problems.add("id_doc_number", "请填写身份证明号码")
    elif id_doc_type == "resident_id" and not RESIDENT_ID.match(id_doc_number):
        problems.add("id_doc_number", "居民身份证号码应为18位（最后一位可以是X）")
    phone = _text(data, "phone", 20)
    if not PHONE.match(phone):
        problems.add("phone", "请填写有效的联系电话")
    email = _text(data, "email", 200)
    if email and not EMAIL.match(email):
        problems.add("email", "电子邮箱格式不正确")
    address = _text(data, "address", 300)
    description = _text(data, "description", 2000)
    if len(description) < 10:
        problems.add("description", "请具体描述所需政府信息（名称、文号或便于查询的其他特征），不少于10个字")
    provision_form = problems.check("provision_form",
                                    lambda: _choice(data, "provision_form", PROVISION_FORMS, "获取信息的方式"), "")
    provision_channel = problems.check(
        "provision_channel", lambda: _choice(data, "provision_channel", PROVISION_CHANNELS, "获取信息的途径"), "")
    if provision_channel == "email" and not email:
        problems.add("email", "选择电子邮件获取时请填写电子邮箱")
    if provision_channel == "post" and not address:
        problems.add("address", "选择邮寄获取时请填写通讯地址")
    key = _text(data, "form_key", 64)
    if not re.fullmatch(r"[0-9a-f]{32}", key):
        problems.add("form_key", "表单已失效，请刷新页面后重新提交")
    uploads = await _files(data, problems)
    form = RequestForm(Applicant(applicant_type, name, id_doc_type, id_doc_number, phone, email, address),
                       description, provision_form, provision_channel, key, uploads=uploads)
    if public:
        if not uploads and "attachments" not in problems.by_field:
            problems.add("attachments", "请上传身份证明复印件（PDF、JPG 或 PNG，不超过5MB）")
        _raise(problems, uploads)
        return form
    form.intake_channel = problems.check(
        "intake_channel", lambda: _choice(data, "intake_channel", INTAKE_CHANNELS, "收到申请的渠道"), "online")
    received = _text(data, "received_date", 10)
    if received:  # checked as the workflow's actions check dates, before any code is handed out
        day = problems.check("received_date", lambda: fields.day(
            received, field="received_date", what="收到日期", today=datetime.now(CST).date()), None)
        form.received_date = day.isoformat() if day else None
    elif form.intake_channel not in CONFIRMATION_CHANNELS:
        problems.add("received_date", "当面提交或邮寄（需签收）的申请，请填写收到日期（提交或签收之日）")
    try:
        form.department_id = int(_text(data, "department_id", 12))
    except ValueError:
        problems.add("department_id", "请选择办理部门")
    _raise(problems, uploads)
    return form


def _raise(problems: Problems, uploads: list[tuple[str, bytes]]) -> None:
    try:
        problems.raise_any()
    except InvalidInput as exc:
        exc.detail["uploads"] = kept.keep(uploads)  # stored for the next try, named by signed tokens
        raise


def store_uploads(form: RequestForm) -> list[Attachment]:
    return [Attachment(name, blobs.check_upload(name, content), len(content), blobs.save(content))
            for name, content in form.uploads]


async def read_uploads(data: dict) -> list[tuple[str, bytes]]:
    """A form's `attachments`, checked as the application's are (type by content, size, count)."""
    return await _files(data)


def save_uploads(uploads: list[tuple[str, bytes]]) -> list[Attachment]:
    return [Attachment(name, blobs.check_upload(name, content), len(content), blobs.save(content))
            for name, content in uploads]


async def reply_uploads(items: list) -> list[Attachment]:
    """The documents an officer attaches to a reply, checked by their contents and stored."""
    files = [item for item in items if isinstance(item, UploadFile) and item.filename]
    if len(files) > MAX_REPLY_FILES:
        raise InvalidInput(f"答复附件最多{MAX_REPLY_FILES}个", field="reply_files")
    out = []
    for item in files:
        content = await item.read(blobs.MAX_BYTES + 1)
        try:
            ctype = blobs.check_upload(item.filename, content, blobs.DOCUMENTS)
        except InvalidInput as exc:
            raise InvalidInput(f"{exc.message}（请重新选择要附上的文件）", field="reply_files") from None
        name = item.filename.replace("\\", "/").rsplit("/", 1)[-1][-200:]
        out.append(Attachment(name, ctype, len(content), blobs.save(content)))
    return out
