"""SQL tables: the read model and the archive. Importing this package registers every table."""

from models.accounts import Department, Role, User, WebSession
from models.audit import AuditEvent
from models.calendar import CalendarVersion
from models.channel import Delivery, DepartmentChannel
from models.deadline import Deadline
from models.disclosure import CaseCounter, DisclosureAttachment, DisclosureRequest, DisclosureReview, IntakeKey
from models.draft import FormDraft
from models.inbox import Notification, Task
from models.incident import IncidentCase
from models.letter import Letter, LetterCounter
from models.office import OfficeProfile
from models.policy import PolicyCase, PolicyVersion
from models.publication import CatalogueEntry, PublicationItem
from models.rules import RuleVersion
from models.throttle import Throttle

__all__ = [
    "AuditEvent", "CalendarVersion", "CaseCounter", "CatalogueEntry", "Deadline", "Delivery", "Department",
    "DepartmentChannel", "DisclosureAttachment", "DisclosureRequest", "DisclosureReview", "FormDraft", "IncidentCase",
    "IntakeKey", "Letter", "LetterCounter", "Notification", "OfficeProfile", "PolicyCase", "PolicyVersion",
    "PublicationItem", "Role", "RuleVersion", "Task", "Throttle", "User", "WebSession",
]
