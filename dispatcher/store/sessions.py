"""The operator page's sessions: a browser signs in once with an API key and then
carries a random token in an HttpOnly cookie.  Only the token's hash is stored, with
the key it stands for and the token the page's forms must send back (CSRF).  Revoking
the key ends its sessions at once; signing out deletes the row."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from dispatcher.domain.status import Role
from dispatcher.store.apikeys import KEY_PREFIX, Caller, hash_key
from dispatcher.store.db import reading
from dispatcher.store.tables import ApiKey, Tenant, UiSession

LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    caller: Caller
    tenant: str  # the key's tenant, named on the page
    csrf: str  # what the page's forms must carry


_KEY = select(ApiKey.id).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)
_FIND = (
    select(
        ApiKey.tenant_id,
        ApiKey.role,
        ApiKey.accounts,
        ApiKey.prefix,
        Tenant.name,
        UiSession.csrf,
    )
    .join(ApiKey, ApiKey.id == UiSession.api_key_id)
    .join(Tenant, Tenant.id == ApiKey.tenant_id)
    .where(
        UiSession.token_hash == bindparam("token_hash"),
        UiSession.expires_at > func.now(),
        ApiKey.revoked_at.is_(None),
    )
)


def start(engine: Engine, key: str) -> str | None:
    """A new session's token for a valid key; None for an unknown or revoked one."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200 or not key.isascii():
        return None
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        key_id = conn.execute(_KEY, {"key_hash": hash_key(key)}).scalar()
        if key_id is None:
            return None
        conn.execute(delete(UiSession).where(UiSession.expires_at <= func.now()))
        conn.execute(
            insert(UiSession).values(
                token_hash=hash_key(token),
                api_key_id=key_id,
                csrf=secrets.token_urlsafe(32),
                expires_at=func.now() + LIFETIME,
            )
        )
    return token


def find(engine: Engine, token: str) -> Session | None:
    if not token or len(token) > 100 or not token.isascii():
        return None
    with reading(engine) as conn:
        row = conn.execute(_FIND, {"token_hash": hash_key(token)}).first()
    if row is None:
        return None
    accounts = tuple(row.accounts) if row.accounts is not None else None
    caller = Caller(int(row.tenant_id), Role(row.role), accounts, f"key {row.prefix} (page)")
    return Session(caller, str(row.name), str(row.csrf))


def end(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(UiSession).where(UiSession.token_hash == hash_key(token)))
