"""An action's actor is proven, not stated. The actor travels in the update's arguments as data, so
anyone who can reach Temporal could name any user. The web (which checked the session) signs the
actor with a key it shares with the worker: the signature covers the case, the action, the update
id, who acts (user, role, department) and an expiry, and travels in the update's Temporal headers.
The worker checks it before the action's validator runs; an update without a valid proof is
refused, logged and audited (the worker records it in SQL, see `on_refused`). The check runs in the
validator only, which replay does not run, so a key retired later cannot break the replay of an old
history.

A captured header is of no use for another action: it names its update id, and Temporal runs an
update id once per case."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from temporalio import client, workflow
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter
from temporalio.worker import HandleUpdateInput, Interceptor, WorkflowInboundInterceptor, WorkflowInterceptorClassInput

from gongkai.errors import PermissionDenied
from gongkai.failures import to_application_error
from gongkai.keys import KeyRing

HEADER = "gongkai-actor-proof"
PURPOSE = "actor-proof"
REFUSED = "操作人身份未经验证，操作被拒绝"


def claims(actor: Any) -> list[Any] | None:
    """The actor's identifying fields, from an Actor or its dict form; None if it is not one."""
    if dataclasses.is_dataclass(actor) and not isinstance(actor, type):
        actor = dataclasses.asdict(actor)
    if not isinstance(actor, Mapping) or "user_id" not in actor:
        return None
    return [actor.get("user_id"), actor.get("username"), str(actor.get("role")), actor.get("department_id"),
            str(actor.get("department_kind"))]


def _message(workflow_id: str, update: str, update_id: str, actor: list[Any] | None, expires: int) -> bytes:
    return json.dumps([workflow_id, update, update_id, actor, expires], ensure_ascii=False).encode()


def sign(ring: KeyRing, workflow_id: str, update: str, update_id: str, actor: Any, ttl: int,
         now: float | None = None) -> dict[str, Any]:
    expires = int((time.time() if now is None else now) + ttl)
    mac = hmac.new(ring.current, _message(workflow_id, update, update_id, claims(actor), expires), hashlib.sha256)
    return {"kid": ring.current_id, "exp": expires, "sig": mac.hexdigest()}


def verify(ring: KeyRing, proof: Any, workflow_id: str, update: str, update_id: str, actor: Any,
           now: datetime) -> str | None:
    """None if the proof holds; else why not (for the log)."""
    if not isinstance(proof, dict):
        return "no proof"
    key = ring.keys.get(str(proof.get("kid")))
    if key is None:
        return "unknown key"
    expires = proof.get("exp")
    if not isinstance(expires, int):
        return "malformed"
    expected = hmac.new(key, _message(workflow_id, update, update_id, claims(actor), expires), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), str(proof.get("sig"))):
        return "bad signature"
    if expires < now.timestamp():
        return "expired"
    return None


def _header(proof: dict[str, Any]) -> Payload:
    return DataConverter.default.payload_converter.to_payloads([proof])[0]


def _read_header(headers: Mapping[str, Payload]) -> Any:
    payload = headers.get(HEADER)
    if payload is None:
        return None
    try:
        return json.loads(payload.data)
    except ValueError:
        return None


class ActorProof(client.Interceptor, Interceptor):
    """On a client: signs every update's actor. On a worker (a worker takes it from its client):
    checks the proof before every update's validator."""

    def __init__(self, ring: KeyRing, ttl: int = 300) -> None:
        self.ring, self.ttl = ring, ttl
        # Called (from the workflow's thread, outside its determinism: validators do not replay)
        # with what was refused; the worker sets it to write an audit event.
        self.on_refused: Callable[[dict[str, Any]], None] | None = None

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _Signing(next, self)

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return type("ProvenActors", (_Checking,), {"owner": self})

    def refused(self, event: dict[str, Any]) -> None:
        if self.on_refused is not None:
            self.on_refused(event)

    def proof(self, workflow_id: str, update: str, update_id: str, args: Any) -> Payload:
        return _header(sign(self.ring, workflow_id, update, update_id, args[0] if args else None, self.ttl))


class _Signing(client.OutboundInterceptor):
    def __init__(self, next: client.OutboundInterceptor, owner: ActorProof) -> None:
        super().__init__(next)
        self.owner = owner

    async def start_workflow_update(self, input: client.StartWorkflowUpdateInput) -> client.WorkflowUpdateHandle[Any]:
        input.update_id = input.update_id or str(uuid.uuid4())
        input.headers = {**input.headers, HEADER: self.owner.proof(input.id, input.update, input.update_id,
                                                                   input.args)}
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: client.StartWorkflowUpdateWithStartInput,
    ) -> client.WorkflowUpdateHandle[Any]:
        update = input.update_workflow_input
        update.update_id = update.update_id or str(uuid.uuid4())
        update.headers = {**update.headers, HEADER: self.owner.proof(input.start_workflow_input.id, update.update,
                                                                     update.update_id, update.args)}
        return await super().start_update_with_start_workflow(input)


class _Checking(WorkflowInboundInterceptor):
    owner: ClassVar[ActorProof]

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        workflow_id = workflow.info().workflow_id
        why = verify(self.owner.ring, _read_header(input.headers), workflow_id, input.update, input.id,
                     input.args[0] if input.args else None, workflow.now())
        if why is not None:
            actor = claims(input.args[0]) if input.args else None
            workflow.logger.warning("update refused: actor not proven (%s): %s as user %s", why, input.update,
                                    actor[0] if actor else None)
            self.owner.refused({"workflow_id": workflow_id, "update": input.update, "why": why,
                                "claimed_user_id": actor[0] if actor else None,
                                "claimed_username": str(actor[1])[:64] if actor else ""})
            raise to_application_error(PermissionDenied(REFUSED))
        super().handle_update_validator(input)
