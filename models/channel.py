"""Where messages go outside the browser: a department's group robots (WeCom, DingTalk, Feishu),
and every message sent or waiting to be sent (the delivery outbox). An account's e-mail address
and mobile number are on the account (models/accounts.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, utcnow


class DepartmentChannel(SQLModel, table=True):
    """A department's group robot. Its webhook URL and signing secret are sealed (they let anyone
    post into the group): entered once, never shown again, never logged; `hint` is what is shown."""

    __tablename__ = "department_channel"

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    kind: str = Field(max_length=16)  # gongkai.channels.ChannelKind: wecom, dingtalk, feishu
    name: str = Field(max_length=100)
    endpoint: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # sealed {"webhook", "secret"}
    hint: str = Field(default="", max_length=80)  # host and the webhook's last characters
    active: bool = True
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_test_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_test_answer: str = Field(default="", max_length=500)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)  # gave up on a message since
    last_error: str = Field(default="", max_length=500)


class Delivery(SQLModel, table=True):
    """One message to one receiver on one channel. `key` is its idempotency key, derived from what
    caused it (a deadline's rung, a day's digest): planned twice, it exists once; sent, it is never
    sent again. Personal data (addresses, mobiles) is not copied here: the sender reads it from the
    account or the case when it sends."""

    __table_args__ = (Index("ix_delivery_status_release", "status", "release_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=240, unique=True)
    case_id: str = Field(default="", max_length=64, index=True)  # "" for a digest
    cause: str = Field(max_length=16)  # deadline, digest, applicant, fallback
    channel: str = Field(max_length=16)  # email, wecom, dingtalk, feishu
    user_id: int | None = None  # e-mail to an account
    channel_id: int | None = None  # a department's group robot
    applicant: bool = False  # e-mail to the case's applicant (the address is read from the case)
    mentions: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))  # account ids to @
    level: int = 0
    title: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    link: str = Field(default="", max_length=300)
    release_at: datetime = Field(sa_type=UTCDateTime)  # not before (quiet hours)
    status: str = Field(default="pending", max_length=16)  # pending, sending, retrying, sent, failed, skipped
    attempts: int = 0
    interrupted: int = 0  # attempts that ended mid-send (worker killed, answer lost): the receiver may have it
    answer: str = Field(default="", max_length=500)  # the channel's latest answer, or why it failed
    fallback_of: str | None = Field(default=None, max_length=240)  # the delivery this one stands in for
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
