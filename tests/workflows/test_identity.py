"""What Temporal keeps and whom it believes: payloads are encrypted (a raw history read with the
plain Temporal client holds no personal data), and an update's actor must carry the web's proof
(a forged update sent with the plain client is refused, and nothing changes)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from gongkai import proof
from gongkai.keys import KeyRing
from gongkai.roles import Actor, DepartmentKind, Role
from models import AuditEvent
from tests.workflows.disclosure_support import actors, department_id, request_input, start
from worker import audit_refusals, build_activities
from workflows.disclosure import DisclosureWorkflow

PERSONAL = ["王小明", "110101199001011234", "13800000000"]


def plain(client: Client) -> Client:
    """What anyone who reaches the Temporal port has: no codec, no keys."""
    return Client(**{**client.config(), "data_converter": DataConverter.default, "interceptors": []})


async def test_a_raw_history_holds_no_personal_data(env, db):
    queue = f"q-{uuid.uuid4()}"
    a = await actors(db)
    async with Worker(env.client, task_queue=queue, workflows=[DisclosureWorkflow],
                      activities=build_activities(db.session_factory)):
        inp = request_input("DR-2026-900001", await department_id(db, "JYJ"), datetime.now(UTC))
        handle = await start(env, queue, inp)
        view = await handle.execute_update(DisclosureWorkflow.claim, a["jyj_officer"])
        assert view.assignee_id == a["jyj_officer"].user_id
        raw = await plain(env.client).get_workflow_handle(inp.request_id).fetch_history()
    blob = raw.to_json().encode() + b"".join(
        e.SerializeToString() for e in raw.events)  # the JSON (base64 payloads) and the raw bytes
    for value in PERSONAL:
        assert value.encode() not in blob
    assert b"binary/encrypted" in b"".join(e.SerializeToString() for e in raw.events)
    # The workflow's own client (with the codec) reads the same history in clear.
    opened = await env.client.get_workflow_handle(inp.request_id).fetch_history()
    started = opened.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    decoded = await env.client.data_converter.decode([started])
    assert decoded[0]["applicant"]["id_doc_number"] == PERSONAL[1]


async def test_a_forged_update_from_the_plain_client_is_refused(env, db):
    queue = f"q-{uuid.uuid4()}"
    a = await actors(db)
    audited = audit_refusals(env.client, db.session_factory)  # as build_worker does
    async with Worker(env.client, task_queue=queue, workflows=[DisclosureWorkflow],
                      activities=build_activities(db.session_factory)):
        inp = request_input("DR-2026-900002", await department_id(db, "JYJ"), datetime.now(UTC))
        await start(env, queue, inp)
        # An attacker with the plain client sends a supervisor's 督办 as data: refused (and they
        # cannot even read why: the failure is encrypted too).
        supervisor = next(x for x in a.values() if x.role == Role.SUPERVISOR)
        with pytest.raises(Exception) as refused:  # noqa: PT011
            await plain(env.client).get_workflow_handle(inp.request_id).execute_update(
                "supervise", args=[supervisor, "限期办结"])
        assert "binary/encrypted" in repr(refused.value.__cause__ or refused.value) or \
            isinstance(refused.value, WorkflowUpdateFailedError)
        # With the payload key but without the web's proof, the refusal reads as such.
        unproven = Client(**{**env.client.config(), "interceptors": []})
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await unproven.get_workflow_handle(inp.request_id).execute_update("supervise",
                                                                              args=[supervisor, "限期办结"])
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "permission_denied"
        assert cause.message == proof.REFUSED
        # The same update through the web's client (which signs) is taken, once.
        handle = env.client.get_workflow_handle(inp.request_id)
        await handle.execute_update(DisclosureWorkflow.supervise, args=[supervisor, "限期办结"])
    await audited()
    async with db.session_factory() as s:
        actions = list((await s.execute(select(AuditEvent.action, AuditEvent.actor)
                                        .where(AuditEvent.case_id == inp.request_id))).all())
        refused = list((await s.execute(select(AuditEvent.detail).where(
            AuditEvent.case_id == inp.request_id, AuditEvent.action == "update_refused"))).scalars())
    assert [x for x in actions if x[0] == "supervised"] == [("supervised", supervisor.username)]
    # Both refusals are on the case's record, by no one verified, with who was claimed and why.
    assert [x for x in actions if x[0] == "update_refused"] == [("update_refused", "unverified")] * 2
    assert [(d["claimed_username"], d["update"], d["why"]) for d in refused] == [(supervisor.username, "supervise",
                                                                                  "no proof")] * 2


RING = KeyRing.of(proof.PURPOSE, "a-test-secret-of-enough-length")
ACTOR = Actor(7, "jyj_officer", Role.OFFICER, 3, DepartmentKind.DEPARTMENT)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _verify(token, **change):
    claim = {"workflow_id": "DR-1", "update": "claim", "update_id": "u1", "actor": ACTOR} | change
    return proof.verify(RING, token, claim["workflow_id"], claim["update"], claim["update_id"], claim["actor"],
                        NOW)


def test_a_proof_holds_only_for_its_case_action_update_and_actor():
    token = proof.sign(RING, "DR-1", "claim", "u1", ACTOR, 300, now=NOW.timestamp())
    assert _verify(token) is None
    assert _verify(token, workflow_id="DR-2") == "bad signature"
    assert _verify(token, update="supervise") == "bad signature"
    assert _verify(token, update_id="u2") == "bad signature"
    assert _verify(token, actor=dataclasses.replace(ACTOR, role=Role.SUPERVISOR)) == "bad signature"
    assert _verify(token, actor=dataclasses.replace(ACTOR, department_id=4)) == "bad signature"
    assert _verify(dict(token, sig="0" * 64)) == "bad signature"
    assert _verify(dict(token, kid="other")) == "unknown key"
    assert _verify(None) == "no proof"
    stale = proof.sign(RING, "DR-1", "claim", "u1", ACTOR, 300, now=(NOW - timedelta(minutes=6)).timestamp())
    assert _verify(stale) == "expired"
    # Rotation: a proof signed with the previous secret still holds while that secret is listed.
    old = KeyRing.of(proof.PURPOSE, "the-previous-secret-long-enough")
    rotated = KeyRing.of(proof.PURPOSE, "a-test-secret-of-enough-length", ("the-previous-secret-long-enough",))
    token = proof.sign(old, "DR-1", "claim", "u1", ACTOR, 300, now=NOW.timestamp())
    assert proof.verify(rotated, token, "DR-1", "claim", "u1", ACTOR, NOW) is None
    assert _verify(token) == "unknown key"
