"""A tenant's saved messages (``/v1/templates``, the page's template picker).  Every read
and change is scoped to one tenant: another tenant's template is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from dispatcher.errors import Conflict, NotFound
from dispatcher.store.db import reading
from dispatcher.store.tables import MessageTemplate

MAX_PER_TENANT = 500


@dataclass(frozen=True, slots=True)
class SavedTemplate:
    id: int
    name: str
    message: str
    purpose: str
    method: str
    created_at: datetime
    updated_at: datetime


_COLUMNS = (
    MessageTemplate.id,
    MessageTemplate.name,
    MessageTemplate.message,
    MessageTemplate.purpose,
    MessageTemplate.method,
    MessageTemplate.created_at,
    MessageTemplate.updated_at,
)


def _missing(template_id: int) -> NotFound:
    return NotFound(f"template {template_id} does not exist (GET /v1/templates lists yours)")


def _taken(name: str) -> Conflict:
    return Conflict(f"a template named {name!r} exists already: choose another name or edit it")


def listed(engine: Engine, tenant_id: int) -> list[SavedTemplate]:
    query = select(*_COLUMNS).where(MessageTemplate.tenant_id == tenant_id)
    with reading(engine) as conn:
        rows = conn.execute(query.order_by(func.lower(MessageTemplate.name))).all()
    return [SavedTemplate(*row) for row in rows]


def one(engine: Engine, tenant_id: int, template_id: int) -> SavedTemplate:
    query = select(*_COLUMNS).where(
        MessageTemplate.tenant_id == tenant_id, MessageTemplate.id == template_id
    )
    with reading(engine) as conn:
        row = conn.execute(query).first()
    if row is None:
        raise _missing(template_id)
    return SavedTemplate(*row)


def create(engine: Engine, tenant_id: int, fields: dict[str, Any]) -> SavedTemplate:
    try:
        with engine.begin() as conn:
            count = conn.execute(
                select(func.count()).where(MessageTemplate.tenant_id == tenant_id)
            ).scalar_one()
            if count >= MAX_PER_TENANT:
                raise Conflict(
                    f"a tenant keeps at most {MAX_PER_TENANT} templates: delete one first"
                )
            row = conn.execute(
                insert(MessageTemplate).values(tenant_id=tenant_id, **fields).returning(*_COLUMNS)
            ).one()
    except IntegrityError:
        raise _taken(fields["name"]) from None
    return SavedTemplate(*row)


def change(
    engine: Engine, tenant_id: int, template_id: int, fields: dict[str, Any]
) -> SavedTemplate:
    try:
        with engine.begin() as conn:
            row = conn.execute(
                update(MessageTemplate)
                .where(MessageTemplate.tenant_id == tenant_id, MessageTemplate.id == template_id)
                .values(updated_at=func.now(), **fields)
                .returning(*_COLUMNS)
            ).first()
    except IntegrityError:
        raise _taken(fields["name"]) from None
    if row is None:
        raise _missing(template_id)
    return SavedTemplate(*row)


def remove(engine: Engine, tenant_id: int, template_id: int) -> None:
    with engine.begin() as conn:
        gone = conn.execute(
            delete(MessageTemplate)
            .where(MessageTemplate.tenant_id == tenant_id, MessageTemplate.id == template_id)
            .returning(MessageTemplate.id)
        ).first()
    if gone is None:
        raise _missing(template_id)
