"""schemathesis against the OpenAPI schema the app serves: no generated request gets a 5xx.

The app runs under uvicorn in the test's event loop, beside a Temporal worker; schemathesis (which
is synchronous) runs in a thread, logged in as an officer of the open-information office (who sees
every case), with the CSRF header set, so the requests reach the handlers. Path parameters are
also drawn from real case ids and real action names, or nearly every request would be a plain 404."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from temporalio.workflow import _Definition

from contracts.disclosure import ACTIONS as DISCLOSURE_ACTIONS
from gongkai.clock import CST
from tests.web.conftest import CSRF
from workflows.incident import IncidentWorkflow

pytestmark = pytest.mark.slow  # generated requests over every API route

EXAMPLES = 25  # per operation and generation mode: the run stays well under a minute
PDF = b"%PDF-1.4\n% identity document\n"


def _token(session: requests.Session, base: str, path: str) -> str:
    return CSRF.search(session.get(base + path).text).group(1)


def _file_requests(session: requests.Session, base: str, n: int) -> list[str]:
    ids = []
    for i in range(n):
        form = {"applicant_type": "natural_person", "name": f"测试{i}", "id_doc_type": "passport",
                "id_doc_number": f"E{i:08d}", "phone": "13800000000", "email": "a@example.cn",
                "description": "申请公开本区2025年义务教育学校招生计划", "provision_form": "electronic",
                "provision_channel": "email", "form_key": uuid.uuid4().hex,
                "_csrf_token": _token(session, base, "/apply")}
        receipt = session.post(base + "/apply", data=form, files={"attachments": ("id.pdf", PDF, "application/pdf")})
        ids.append(re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1))
    return ids


def _fuzz(base: str) -> dict[str, int]:
    """Runs in a thread. Returns how many requests got which status, for the assertions to read."""
    session = requests.Session()
    case_ids = _file_requests(session, base, 2)
    login = session.post(base + "/login", data={"username": "gkb_officer", "password": "gongkai2026",
                                                "_csrf_token": _token(session, base, "/login")}, allow_redirects=False)
    assert login.status_code in (302, 303)
    session.headers["x-csrftoken"] = _token(session, base, "/")

    schema = schemathesis.openapi.from_url(base + "/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {"GET /api/deadline", "GET /api/disclosure/{request_id}",
                                               "POST /api/disclosure/{request_id}/{action}", "POST /api/incidents",
                                               "GET /api/incidents/{case_id}",
                                               "POST /api/incidents/{case_id}/{action}", "POST /api/publication",
                                               "GET /api/publication/{case_id}",
                                               "POST /api/publication/{case_id}/{action}"}
    occurred = (datetime.now(CST) - timedelta(hours=1)).isoformat()
    incident = session.post(base + "/api/incidents", json={
        "title": "某处火情", "occurred_at": occurred, "location": "某处", "grade": "major", "source": "media"})
    assert incident.status_code == 201, incident.text
    incident_ids = [incident.json()["id"]]
    statuses: dict[int, int] = {}
    skipped: list[str] = []
    ids = st.sampled_from(case_ids) | st.just(None)
    actions = st.sampled_from(sorted(DISCLOSURE_ACTIONS.actions)) | st.just(None)
    incidents = st.sampled_from(incident_ids) | st.just(None)
    incident_actions = st.sampled_from(sorted(_Definition.must_from_class(IncidentWorkflow).updates)) | st.just(None)

    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy(generation_mode=mode), real_id=ids, real_action=actions,
                   real_incident=incidents, real_step=incident_actions)
            def run(case, real_id, real_action, real_incident, real_step):
                params = case.path_parameters or {}
                if real_id and "request_id" in params:
                    params["request_id"] = real_id
                if real_incident and "case_id" in params:
                    params["case_id"] = real_incident
                step = real_step if "case_id" in params else real_action
                if step and "action" in params:
                    params["action"] = step
                response = case.call(base_url=base, session=session, timeout=30)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code < 500, (case.as_curl_command(), response.text[:500])

            try:
                run()
            except Unsatisfiable:
                # No invalid request can be written for this operation (string-only path parameters).
                assert mode is GenerationMode.NEGATIVE, op.label
                skipped.append(op.label)
    assert skipped != [op.label for op in operations]
    return statuses


async def test_no_generated_api_request_gets_a_server_error(system):
    statuses = await asyncio.to_thread(_fuzz, system)
    assert not [s for s in statuses if s >= 500]
    # The run reached the handlers, not only the framework's validation: answers and refusals both.
    assert statuses.get(200, 0) > 0, statuses
    assert statuses.get(404, 0) > 0 and statuses.get(400, 0) + statuses.get(409, 0) + statuses.get(422, 0) > 0
