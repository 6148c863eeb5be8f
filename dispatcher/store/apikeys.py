"""API keys: shown once at creation, stored only as a SHA-256 hash.

A key looks like ``pgo_<prefix>_<secret>``.  The prefix names the key in listings and
revocation without revealing it; keys are long random strings, so a fast hash is the
right tool (a password hash would only slow every request down).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from dispatcher.domain.status import Role
from dispatcher.errors import NotFound, ValidationFailed
from dispatcher.store.db import reading
from dispatcher.store.tables import ApiKey, Tenant

KEY_PREFIX = "pgo_"


@dataclass(frozen=True)
class KeyInfo:
    prefix: str
    tenant: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    role: Role
    accounts: tuple[str, ...] | None


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's tenant, its role, and the accounts it may send through."""

    tenant_id: int
    role: Role
    accounts: tuple[str, ...] | None  # None: every account
    who: str = ""  # "key <prefix>": names the key in audits, never the key itself

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def scope(self) -> int | None:
        """The tenant whose campaigns it sees; None for an operator: every tenant's."""
        return None if self.is_operator else self.tenant_id


def set_reply_url(engine: Engine, tenant: str, url: str | None, *, change: bool) -> str | None:
    """The tenant's default reply URL, after setting it when ``change``."""
    with engine.begin() as conn:
        query = update(Tenant).where(Tenant.name == tenant)
        if change:
            conn.execute(query.values(reply_url=url))
        found = conn.execute(select(Tenant.reply_url).where(Tenant.name == tenant)).first()
    if found is None:
        raise NotFound(f"there is no tenant {tenant!r}; `pregonero apikey list` shows them")
    return found[0]


def new_secret() -> str:
    """A tenant's callback signing key."""
    return secrets.token_hex(32)


def tenant_secret(engine: Engine, name: str, rotate: bool = False) -> str:
    """The tenant's callback signing key; a new one when ``rotate`` (the old one stops
    signing at once: give the new one to the receiver first)."""
    with engine.begin() as conn:
        if rotate:
            conn.execute(
                update(Tenant).where(Tenant.name == name).values(callback_secret=new_secret())
            )
        found = conn.execute(select(Tenant.callback_secret).where(Tenant.name == name)).scalar()
    if found is None:
        raise NotFound(f"no tenant {name!r}; `pregonero apikey create --tenant {name}` creates it")
    return str(found)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check_tenant_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("the tenant name must have 1 to 100 characters")
    return name


def create_key(
    engine: Engine,
    tenant: str,
    label: str | None = None,
    role: Role = Role.TENANT,
    accounts: Sequence[str] | None = None,
) -> str:
    """Create the tenant if needed and a new key for it; return the key (shown once).
    ``accounts``: the provider accounts it may use (None: all; an empty list is refused)."""
    tenant = _check_tenant_name(tenant)
    if accounts is not None and not list(accounts):
        raise ValidationFailed("a key limited to no provider account could do nothing")
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with engine.begin() as conn:
        statement = insert(Tenant).values(name=tenant, callback_secret=new_secret())
        tenant_id = conn.execute(
            statement.on_conflict_do_update(
                index_elements=[Tenant.name], set_={"name": statement.excluded.name}
            ).returning(Tenant.id)
        ).scalar_one()
        conn.execute(
            insert(ApiKey).values(
                tenant_id=tenant_id,
                prefix=prefix,
                key_hash=hash_key(key),
                label=label,
                role=role,
                accounts=list(accounts) if accounts is not None else None,
            )
        )
    return key


_VALID = (ApiKey.key_hash == bindparam("hashed"), ApiKey.revoked_at.is_(None))
_CALLER = (ApiKey.tenant_id, ApiKey.role, ApiKey.accounts, ApiKey.prefix)
# Built once: every request asks.  The use is noted at most once a minute (a write per
# request would be wasted), so most requests cost one read.
_WHO = select(
    *_CALLER,
    or_(
        ApiKey.last_used_at.is_(None),
        ApiKey.last_used_at < func.now() - timedelta(minutes=1),
    ).label("note_use"),
).where(*_VALID)
_NOTE_USE = update(ApiKey).where(*_VALID).values(last_used_at=func.now())


def authenticate(engine: Engine, key: str) -> Caller | None:
    """Who a valid, unrevoked key belongs to; ``None`` otherwise."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200 or not key.isascii():
        return None
    params = {"hashed": hash_key(key)}
    with reading(engine) as conn:  # the note of its use commits on its own
        row = conn.execute(_WHO, params).first()
        if row is not None and row.note_use:
            conn.execute(_NOTE_USE, params)
    if row is None:
        return None
    accounts = tuple(row.accounts) if row.accounts is not None else None
    return Caller(int(row.tenant_id), Role(row.role), accounts, f"key {row.prefix}")


def revoke(engine: Engine, prefix: str) -> None:
    prefix = prefix.removeprefix(KEY_PREFIX).split("_")[0]
    with engine.begin() as conn:
        done = conn.execute(
            update(ApiKey)
            .where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
            .values(revoked_at=func.now())
        ).rowcount
    if not done:
        raise NotFound(
            f"no active API key with prefix {prefix}; `pregonero apikey list` shows them"
        )


def list_keys(engine: Engine) -> list[KeyInfo]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ApiKey.prefix,
                Tenant.name,
                ApiKey.label,
                ApiKey.created_at,
                ApiKey.last_used_at,
                ApiKey.revoked_at,
                ApiKey.role,
                ApiKey.accounts,
            )
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .order_by(ApiKey.id)
        )
        return [
            KeyInfo(
                *row[:6], Role(row.role), tuple(row.accounts) if row.accounts is not None else None
            )
            for row in rows
        ]
