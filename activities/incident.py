"""Incident activities: the projection's columns (the kit writes the rest, notifications too), and
the 督办通知单 it issues."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.case import CaseActivities
from activities.store import next_letter_number
from contracts.case import CaseProjection, CaseStep, LetterSpec, StepResult
from contracts.incident import IncidentView
from gongkai.clock import CST, local_date
from gongkai.incident import GRADES
from gongkai.letters import doc_number, render_supervision_notice, series
from gongkai.office import load_office
from models import Department, IncidentCase, User


class IncidentActivities(CaseActivities):
    PROCESS = "incident"
    MODEL = IncidentCase
    VIEW = IncidentView

    def row(self, view: IncidentView) -> dict[str, Any]:
        return {"title": view.title, "grade": view.grade, "source": view.source, "location": view.location,
                "department_id": view.department_id, "co_departments": list(view.co_departments),
                "occurred_at": view.occurred_at, "detected_at": view.detected_at, "stage": view.stage.value,
                "triage": view.triage, "first_release_at": view.releases[0].released_at if view.releases else None,
                "press_at": view.press.held_at if view.press else None, "releases": len(view.releases),
                "late_at_registration": bool(view.late), "closed_at": view.closed_at}

    async def issue_letter(self, session: AsyncSession, p: CaseProjection, view: IncidentView, letter: LetterSpec
                           ) -> dict[str, Any]:
        """The 督办通知单 of the supervision this projection issued: the next 文号 of the 督 series."""
        number = int(letter.key.rsplit("/", 1)[-1])  # {case}/letter:supervision/{number}
        record = next(s for s in view.supervisions if s.number == number)
        office = await load_office(session)
        year = local_date(p.at).year
        doc_no = doc_number(office.agency_code, letter.kind, year,
                            await next_letter_number(session, office.agency_code, year, series(letter.kind)))
        department = await session.get(Department, record.department_id)
        issuer = (await session.execute(select(User.display_name)
                                        .where(User.username == record.by))).scalar_one_or_none()
        occurred = view.occurred_at.astimezone(CST).strftime("%Y-%m-%d %H:%M") if view.occurred_at else ""
        body = render_supervision_notice(
            title=letter.title, doc_no=doc_no, office=office, matter=record.matter, required=record.required,
            case={"id": view.case_id, "title": view.title, "grade": GRADES.get(view.grade, view.grade),
                  "occurred": occurred},
            due_at=record.due_at, department=department.name if department else "责任部门", issuer=issuer or record.by,
            now=p.at, seal=office.seal_sha256 is not None)
        return {"body": body, "doc_no": doc_no, "seal_sha256": office.seal_sha256}

    @activity.defn(name="incident.project")
    async def project(self, p: CaseProjection) -> int | None:
        return await self.write(p)

    @activity.defn(name="incident.step")
    async def step(self, step: CaseStep) -> StepResult:
        return await self.run_step(step)
