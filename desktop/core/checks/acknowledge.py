"""Warnings a clerk has checked ("已核实") with a note, kept in the
``check_acknowledgement`` table and in the household's history (audit log).

Errors cannot be acknowledged here: they block export unless overridden with a
recorded reason at export time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog, CheckAcknowledgement
from desktop.core.checks.engine import RULES, WARNING, Problem

# How the rows look in the household history (desktop.core.households.history).
AUDIT_ENTITY = "问题清单"
ACTION_ACK = "核实"
ACTION_REVOKE = "撤销核实"


class AcknowledgeError(ValueError):
    """The acknowledgement cannot be recorded; the message is Chinese."""


@dataclass(frozen=True)
class AckRecord:
    rule_id: str
    title: str
    entity_uuid: str
    household_uuid: str | None
    note: str
    operator: str
    at: str  # local time
    revoked: bool


def _local(at: datetime) -> str:
    return at.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _active(session: Session, rule_id: str, entity_uuid: str) -> list[CheckAcknowledgement]:
    return list(session.scalars(select(CheckAcknowledgement).where(
        CheckAcknowledgement.rule_id == rule_id, CheckAcknowledgement.entity_uuid == entity_uuid,
        CheckAcknowledgement.revoked.is_(False))))


def acknowledge(session: Session, problem: Problem, note: str, operator: str | None = None) -> CheckAcknowledgement:
    """Mark a warning as checked; ``note`` (why it is acceptable) is required."""
    text = (note or "").strip()
    if problem.severity != WARNING:
        raise AcknowledgeError(f"“{problem.title or problem.rule_id}”是错误，不能标记为已核实；请改正数据")
    if not text:
        raise AcknowledgeError("请填写核实说明（为什么这条警告可以接受）")
    if not problem.entity_uuid:
        raise AcknowledgeError("这条问题没有对应的记录，不能标记为已核实")
    if _active(session, problem.rule_id, problem.entity_uuid):
        raise AcknowledgeError("这条警告已经标记为已核实")
    row = CheckAcknowledgement(rule_id=problem.rule_id, entity_uuid=problem.entity_uuid,
                               household_uuid=problem.household_uuid, note=text, operator=operator or None)
    session.add(row)
    session.add(AuditLog(operator=operator or None, action=ACTION_ACK, entity=AUDIT_ENTITY,
                         entity_uuid=problem.entity_uuid, household_uuid=problem.household_uuid,
                         field_name=problem.rule_id, new_value=f"已核实：{problem.title}", note=text))
    return row


def revoke(session: Session, rule_id: str, entity_uuid: str, household_uuid: str | None = None,
           operator: str | None = None, note: str = "") -> int:
    """Withdraw the acknowledgement of a warning; returns how many were withdrawn."""
    rows = _active(session, rule_id, entity_uuid)
    for row in rows:
        row.revoked = True
    if rows:
        title = RULES[rule_id].title if rule_id in RULES else rule_id
        session.add(AuditLog(operator=operator or None, action=ACTION_REVOKE, entity=AUDIT_ENTITY,
                             entity_uuid=entity_uuid, household_uuid=household_uuid or rows[0].household_uuid,
                             field_name=rule_id, old_value=f"已核实：{title}", new_value="未核实",
                             note=(note or "").strip() or None))
    return len(rows)


def history(session: Session, *, rule_id: str | None = None, entity_uuid: str | None = None,
            household_uuid: str | None = None) -> list[AckRecord]:
    """Acknowledgements (revoked ones too), newest first, filtered as given."""
    stmt = select(CheckAcknowledgement).order_by(CheckAcknowledgement.at.desc(), CheckAcknowledgement.id.desc())
    if rule_id is not None:
        stmt = stmt.where(CheckAcknowledgement.rule_id == rule_id)
    if entity_uuid is not None:
        stmt = stmt.where(CheckAcknowledgement.entity_uuid == entity_uuid)
    if household_uuid is not None:
        stmt = stmt.where(CheckAcknowledgement.household_uuid == household_uuid)
    return [
        AckRecord(rule_id=r.rule_id, title=RULES[r.rule_id].title if r.rule_id in RULES else r.rule_id,
                  entity_uuid=r.entity_uuid, household_uuid=r.household_uuid, note=r.note or "",
                  operator=r.operator or "", at=_local(r.at), revoked=bool(r.revoked))
        for r in session.scalars(stmt)
    ]
