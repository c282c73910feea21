"""Policy-case activities: the projection's columns (the kit writes the rest)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.case import CaseActivities, iso_date
from activities.store import insert_once
from contracts.case import CaseProjection, CaseStep, StepResult
from contracts.policy import ItemsFor, ItemsWanted, PolicyView
from gongkai import publication
from gongkai.intake import allocate
from gongkai.policy import Stage
from gongkai.profiles import legacy_book
from gongkai.rule_store import book_of, version_row
from models import PolicyCase, PolicyVersion


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

    async def write_more(self, session: AsyncSession, p: CaseProjection, view: PolicyView) -> None:
        """Keeps each version as it left drafting (submitted for sign-off), once: the signers' diff
        compares it with the version before. A case already past drafting when this was deployed is
        kept at its next step, with no submitter."""
        if view.stage is Stage.DRAFTING or view.document_version == 0:
            return
        d = view.draft
        await insert_once(session, PolicyVersion(
            key=f"{p.case_id}/v{view.document_version}", case_id=p.case_id, number=view.document_version,
            title=view.title, document_text=d.document_text, plan_text=d.plan_text,
            materials_text=d.materials_text, submitted_at=p.at,
            submitted_by=p.actor if p.action == "submitted" else ""))

    @activity.defn(name="policy.project")
    async def project(self, p: CaseProjection) -> int | None:
        return await self.write(p)

    @activity.defn(name="policy.step")
    async def step(self, step: CaseStep) -> StepResult:
        return await self.run_step(step)

    @activity.defn(name="policy.publication_items")
    async def publication_items(self, wanted: ItemsWanted) -> ItemsFor:
        """Case ids for the publication items a published normative document opens (keyed by the
        case and kind, so a retry allocates nothing twice), and the publication rules of the
        version the case runs by."""
        async with self.session_factory() as session:
            ids = [(await allocate(session, f"pi:policy:{wanted.case_id}:{kind}", "publication", "PI"))[0]
                   for kind in wanted.kinds]
            book = legacy_book() if wanted.version == 0 else \
                book_of(await version_row(session, wanted.profile, wanted.version))
        return ItemsFor(ids, book.only(publication.RULES))
