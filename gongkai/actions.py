"""Who may do what, when: one table per process, read by the workflow's validators and by the
pages that offer the actions, so the two cannot disagree.

An action is allowed in some stages (else ActionNotAllowed), to some actors (`who` raises
PermissionDenied) and, optionally, only while the case is in a state where it makes sense
(`when` raises ActionNotAllowed: claiming a claimed request, deciding an extension nobody asked
for); pages offer exactly the actions these allow. What its input must be (a reason, a real date
not before another) is `check`, called with the facts, the time and the action's arguments, which
the workflow's validator runs after the rest. Facts are whatever the process decides on, in
practice its view."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from gongkai.errors import ActionNotAllowed, NotFound, PermissionDenied
from gongkai.roles import Actor, Role

F = TypeVar("F")
Who = Callable[[F, Actor], None]
When = Callable[[F, datetime], None]


@dataclass(frozen=True)
class Action(Generic[F]):
    name: str  # the workflow update's name
    label: str  # what the button says (Chinese)
    stages: frozenset[str]
    who: Who[F]
    when: When[F] | None = None
    check: Callable[..., None] | None = None  # (facts, now, *the action's arguments) -> None or raises
    early: str = ""  # why not in this stage, where the generic "当前阶段…不能…" says too little


def anyone(_facts: object, _actor: Actor) -> None:
    """No restriction by person (the stage and the case still decide)."""


def roles(allowed: Iterable[Role], message: str) -> Who[object]:
    allowed = frozenset(allowed)

    def who(_facts: object, actor: Actor) -> None:
        if actor.role not in allowed:
            raise PermissionDenied(message)

    return who


def either(*options: Who[F]) -> Who[F]:
    """Allowed if any option allows; refused with the first option's reason otherwise."""

    def who(facts: F, actor: Actor) -> None:
        first: PermissionDenied | None = None
        for option in options:
            try:
                option(facts, actor)
                return
            except PermissionDenied as exc:
                first = first or exc
        assert first is not None
        raise first

    return who


class ActionTable(Generic[F]):
    def __init__(self, stage_of: Callable[[F], str], stage_zh: Mapping[Any, str], actions: Iterable[Action[F]]):
        self.stage_of = stage_of
        self.stage_zh = stage_zh
        self.actions = {a.name: a for a in actions}

    def __contains__(self, name: object) -> bool:
        return name in self.actions

    def __getitem__(self, name: str) -> Action[F]:
        try:
            return self.actions[name]
        except KeyError:
            raise NotFound("未知操作") from None

    def label(self, name: str) -> str:
        return self[name].label

    def check(self, name: str, facts: F, actor: Actor, now: datetime) -> None:
        """Raise the reason `actor` may not take `name` now, or return."""
        action = self[name]
        stage = self.stage_of(facts)
        if stage not in action.stages:
            raise ActionNotAllowed(action.early or f"当前阶段（{self.stage_zh.get(stage, stage)}）不能{action.label}")
        action.who(facts, actor)
        if action.when is not None:
            action.when(facts, now)

    def validate(self, name: str, facts: F, actor: Actor, now: datetime, *args: Any) -> None:
        """All an update's validator asks: may `actor` take `name` now, and is its input acceptable."""
        self.check(name, facts, actor, now)
        check = self.actions[name].check
        if check is not None:
            check(facts, now, *args)

    def allows(self, name: str, facts: F, actor: Actor, now: datetime) -> bool:
        try:
            self.check(name, facts, actor, now)
        except (ActionNotAllowed, PermissionDenied):
            return False
        return True

    def available(self, facts: F, actor: Actor, now: datetime) -> list[str]:
        """The actions `actor` may take now, in the table's order."""
        return [name for name in self.actions if self.allows(name, facts, actor, now)]
