"""Opening publication items: one workflow per item, once per idempotency key (a form's key, a CSV
row's or an API call's business number), however often it is sent."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from contracts.publication import WORKFLOW, PublicationInput
from gongkai.errors import Conflict
from gongkai.intake import allocate
from gongkai.logs import get_logger
from models import PublicationItem
from web.actions import UNAVAILABLE

log = get_logger(__name__)
PARALLEL = 8  # workflow starts in flight at once


@dataclass
class Opened:
    new: list[str] = field(default_factory=list)  # items opened now
    existing: list[str] = field(default_factory=list)  # keys sent before: their items, opened nothing


def item_key(department_id: int, external_key: str) -> str:
    """A business number is unique within its department (two bureaus may both number 2026-1); the
    same number from a CSV row or an API call is the same item. Hashed: the key column holds 64."""
    return f"pi:{department_id}:" + hashlib.sha256(external_key.encode()).hexdigest()[:48]


async def open_items(client: Client | None, task_queue: str, db: AsyncSession,
                     wanted: list[tuple[str, Callable[[str], PublicationInput]]]) -> Opened:
    """Open an item for each (key, input for a case id) not opened before. A key already allocated
    whose workflow never started (a crash between the two) is started now."""
    if client is None:
        raise Conflict(UNAVAILABLE)
    opened = Opened()
    starts: list[PublicationInput] = []
    for key, make in wanted:
        case_id, _code, new = await allocate(db, key, "publication", "PI")
        if new or await db.get(PublicationItem, case_id) is None:
            starts.append(make(case_id))
            (opened.new if new else opened.existing).append(case_id)
        else:
            opened.existing.append(case_id)
    gate = asyncio.Semaphore(PARALLEL)

    async def start(inp: PublicationInput) -> None:
        async with gate:
            try:
                await client.start_workflow(WORKFLOW, inp, id=inp.case_id, task_queue=task_queue)
            except WorkflowAlreadyStartedError:
                pass

    await asyncio.gather(*(start(inp) for inp in starts))
    log.info("publication_items_opened", new=len(opened.new), existing=len(opened.existing))
    return opened
