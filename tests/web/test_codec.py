"""The Temporal UI's codec endpoint: administrators see payloads opened, everyone else does not,
only the UI's origin may read the answer, and every opening is audited."""

from __future__ import annotations

from google.protobuf import json_format
from sqlmodel import select
from temporalio.api.common.v1 import Payloads
from temporalio.converter import DataConverter

from gongkai.codec import EncryptionCodec, ring_for
from gongkai.settings import load_settings
from models import AuditEvent
from tests.web.conftest import login

UI = load_settings().temporal_ui_origin


async def _sealed() -> dict:
    settings = load_settings()
    value = {"applicant": {"id_doc_number": "110101199001011234"}}
    plain = DataConverter.default.payload_converter.to_payloads([value])
    sealed = await EncryptionCodec(ring_for(settings.secret_key)).encode(plain)
    return json_format.MessageToDict(Payloads(payloads=sealed))


async def test_an_administrator_reads_payloads_through_the_codec_endpoint(client, db):
    body = await _sealed()
    assert "110101199001011234" not in str(body)
    anonymous = await client.post("/codec/decode", json=body, headers={"origin": UI}, follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401) and "110101199001011234" not in anonymous.text
    await login(client, "jyj_officer")
    refused = await client.post("/codec/decode", json=body, headers={"origin": UI})
    assert refused.status_code == 403 and "110101199001011234" not in refused.text
    await client.post("/logout", data={"_csrf_token": ""})
    client.cookies.clear()
    await login(client, "admin")
    opened = await client.post("/codec/decode", json=body, headers={"origin": UI, "x-namespace": "default"})
    assert opened.status_code == 200, opened.text
    assert opened.headers["access-control-allow-origin"] == UI
    decoded = json_format.ParseDict(opened.json(), Payloads())
    value = DataConverter.default.payload_converter.from_payloads(list(decoded.payloads))[0]
    assert value["applicant"]["id_doc_number"] == "110101199001011234"
    # Another origin gets no CORS grant, so a page elsewhere cannot read the answer.
    elsewhere = await client.post("/codec/decode", json=body, headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in elsewhere.headers
    preflight = await client.options("/codec/decode", headers={"origin": UI, "access-control-request-method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-credentials"] == "true"
    bad = await client.post("/codec/decode", json={"payloads": "nonsense"}, headers={"origin": UI})
    assert bad.status_code == 400 and "载荷" in bad.text
    async with db.session_factory() as s:
        audits = list((await s.execute(select(AuditEvent).where(AuditEvent.action == "decode"))).scalars())
    assert [(a.actor, a.detail["payloads"]) for a in audits] == [("admin", 1), ("admin", 1)]
    assert all("110101199001011234" not in str(a.detail) + a.summary for a in audits)
