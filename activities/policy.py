"""Policy-case activities: the projection's columns (the kit writes the rest)."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.case import CaseActivities, iso_date
from contracts.case import CaseProjection
from contracts.policy import PolicyView
from models import PolicyCase


class PolicyActivities(CaseActivities):
    PROCESS = "policy"
    MODEL = PolicyCase
    VIEW = PolicyView

    def row(self, view: PolicyView) -> dict[str, Any]:
        return {"title": view.title, "issuance": view.issuance, "department_id": view.department_id,
                "normative": view.normative, "doc_number": view.doc_number,
                "disclosure_mode": view.draft.disclosure_mode, "disclosure_scope": view.draft.disclosure_scope,
                "stage": view.stage.value, "document_version": view.document_version, "returns": view.returns,
                "published_on": iso_date(view.published.on),
                "interpretation_on": iso_date(view.published.interpretation_on)}

    @activity.defn(name="policy.project")
    async def project(self, p: CaseProjection) -> int | None:
        return await self.write(p)
