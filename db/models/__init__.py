"""All models, imported here so the metadata is complete."""

from db.models.assessment import ExitAssessment, IncomeRecord, PovertyLine
from db.models.assistance import Assignment, Helper, HelpPlan, Measure, Visit
from db.models.household import (
    MEMBER_STATUS_ADDED,
    MEMBER_STATUS_NORMAL,
    MEMBER_STATUS_REMOVED,
    Household,
    Member,
)
from db.models.region import County, Township, Village, VillageGroup
from db.models.system import (
    AuditLog,
    CheckAcknowledgement,
    DuplicateDismissal,
    ExchangeLog,
    Operator,
    PrintLog,
    Setting,
)

__all__ = [
    "MEMBER_STATUS_ADDED",
    "MEMBER_STATUS_NORMAL",
    "MEMBER_STATUS_REMOVED",
    "Assignment",
    "AuditLog",
    "CheckAcknowledgement",
    "County",
    "DuplicateDismissal",
    "ExchangeLog",
    "ExitAssessment",
    "Helper",
    "HelpPlan",
    "Household",
    "IncomeRecord",
    "Measure",
    "Member",
    "Operator",
    "PovertyLine",
    "PrintLog",
    "Setting",
    "Township",
    "Village",
    "VillageGroup",
    "Visit",
]
