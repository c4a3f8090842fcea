"""Declarative base, naming conventions and reusable column types.

Every table has an integer primary key for joins and a ``uuid`` that never
changes, so that records keep their identity across exports, imports and county
merges. Column ``info`` carries the Chinese label and the code list a column
draws from; exports, imports and editors read it from here.
"""

from __future__ import annotations

import uuid as uuid_mod
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import Boolean, Date, DateTime, Integer, MetaData, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uuid() -> str:
    return str(uuid_mod.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        str: String(200),
        Decimal: Numeric(14, 2),
        date: Date(),
        datetime: DateTime(),
        bool: Boolean(),
        int: Integer(),
    }

    def __repr__(self) -> str:
        key = getattr(self, "uuid", None) or getattr(self, "id", None)
        return f"<{type(self).__name__} {key}>"


def field(label: str, *, codelist: str | None = None, **kwargs: Any) -> Any:
    """A mapped column whose ``info`` names its Chinese label and code list."""
    info = {"label": label}
    if codelist:
        info["codelist"] = codelist
    info.update(kwargs.pop("info", {}))
    kwargs.setdefault("nullable", True)
    return mapped_column(info=info, **kwargs)


class UuidMixin:
    """Integer primary key plus the stable UUID used as the exchange key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid, info={"label": "UUID"})


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info={"label": "创建时间"})
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, info={"label": "修改时间"})


# Reusable annotated types
Money = Annotated[Decimal | None, mapped_column(Numeric(14, 2), nullable=True)]
Area = Annotated[Decimal | None, mapped_column(Numeric(10, 2), nullable=True)]
LongText = Annotated[str | None, mapped_column(Text, nullable=True)]
