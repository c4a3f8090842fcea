"""Bookkeeping tables: audit log, settings, operators, print log, check
acknowledgements, duplicate dismissals and the exchange log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UuidMixin, field, utcnow


class AuditLog(Base):
    """One row per changed field (or per created / departed / deleted record)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_household_at", "household_uuid", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, info={"label": "时间"})
    operator: Mapped[str | None] = field("操作员", type_=String(50))
    action: Mapped[str] = mapped_column(String(10), info={"label": "操作"})  # create / update / delete / import
    entity: Mapped[str] = mapped_column(String(30), info={"label": "对象"})
    entity_uuid: Mapped[str] = mapped_column(String(36), index=True, info={"label": "对象UUID"})
    household_uuid: Mapped[str | None] = field("户UUID", type_=String(36))
    field_name: Mapped[str | None] = field("字段", type_=String(50))
    old_value: Mapped[str | None] = field("原值", type_=Text)
    new_value: Mapped[str | None] = field("新值", type_=Text)
    note: Mapped[str | None] = field("说明", type_=Text)


class Setting(Base):
    """Key/value settings kept with the data (township code, export sequence…)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)


class Operator(UuidMixin, Base):
    """An operator account; password_hash empty means no password protection."""

    __tablename__ = "operator"

    username: Mapped[str] = mapped_column(String(50), unique=True, info={"label": "用户名"})
    display_name: Mapped[str | None] = field("姓名", type_=String(50))
    role: Mapped[str] = mapped_column(String(10), default="clerk", info={"label": "角色"})  # clerk / admin
    password_hash: Mapped[str | None] = field("密码散列", type_=String(300))
    active: Mapped[bool] = mapped_column(default=True, info={"label": "启用"})
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = field("最近登录")


class PrintLog(Base):
    __tablename__ = "print_log"
    __table_args__ = (Index("ix_print_log_household_at", "household_uuid", "printed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_uuid: Mapped[str] = mapped_column(String(36))
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    operator: Mapped[str | None] = field("操作员", type_=String(50))
    target: Mapped[str | None] = field("输出", type_=String(300))  # printer name or PDF path
    full_id: Mapped[bool] = mapped_column(default=False)


class CheckAcknowledgement(Base):
    """A warning a clerk has checked and marked as acceptable, with a note."""

    __tablename__ = "check_acknowledgement"
    __table_args__ = (Index("ix_check_ack_rule_entity", "rule_id", "entity_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(20))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    household_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    operator: Mapped[str | None] = mapped_column(String(50), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)


class DuplicateDismissal(Base):
    """A pair of people a reviewer marked as "not a duplicate"; uuid_a < uuid_b."""

    __tablename__ = "duplicate_dismissal"
    __table_args__ = (Index("ix_duplicate_dismissal_pair", "uuid_a", "uuid_b", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid_a: Mapped[str] = mapped_column(String(36))
    uuid_b: Mapped[str] = mapped_column(String(36))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    operator: Mapped[str | None] = mapped_column(String(50), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeLog(Base):
    """Every exchange workbook written or taken in (export / import / consolidate)."""

    __tablename__ = "exchange_log"
    __table_args__ = (Index("ix_exchange_log_township_seq", "township_code", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(12))  # export / import / consolidate
    township_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    sequence: Mapped[int | None] = mapped_column(nullable=True)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    format_version: Mapped[str | None] = mapped_column(String(10), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    operator: Mapped[str | None] = mapped_column(String(50), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON counts
