"""The daily digest's workflow input and its activity's payloads (gongkai/digest.py composes it)."""


from dataclasses import dataclass
from datetime import datetime

WORKFLOW = "DigestWorkflow"


@dataclass
class DigestInput:
    day: str = ""  # YYYY-MM-DD (Beijing); "": the day the run starts on (the schedule's run)


@dataclass
class DigestDay:
    day: str  # the day's digest, its messages keyed by it
    at: datetime  # the instant urgency is judged at: the run's start, or 08:30 of a given day


@dataclass
class DigestReport:
    day: str
    working: bool  # False: a weekend or a holiday, nothing sent
    reason: str = ""  # why not: weekend, holiday (its name)
    people: int = 0  # people with something to report
    notices: int = 0  # in-app notices this run added (a second run the same day adds none)
    emails: int = 0  # e-mails this run planned
    started: int = 0  # delivery workflows this run started
