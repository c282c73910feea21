"""Messages outside the browser: the delivery workflow's input and its activities' payloads. The
message itself (text, receiver) is in the `delivery` row, found by its key: nothing personal here."""


from dataclasses import dataclass
from datetime import datetime

WORKFLOW = "DeliveryWorkflow"


@dataclass
class DeliveryInput:
    key: str  # the delivery row's idempotency key; the workflow id is derived from it
    release_at: datetime  # not before (quiet hours)
    retry_seconds: float = 10.0
    attempts: int = 8


@dataclass
class SendInput:
    key: str
    at: datetime  # the workflow's time when it sends (the timeline says it; skipped time in tests)


@dataclass
class GiveUpInput:
    key: str
    reason: str
    at: datetime
