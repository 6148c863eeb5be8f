"""API keys: shown once at creation, stored only as a SHA-256 hash.

A key looks like ``pgo_<prefix>_<secret>``.  The prefix names the key in listings and
revocation without revealing it; keys are long random strings, so a fast hash is the
right tool (a password hash would only slow every request down).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

from dispatcher.errors import NotFound, ValidationFailed

KEY_PREFIX = "pgo_"


@dataclass(frozen=True)
class KeyInfo:
    prefix: str
    tenant: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check_tenant_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("the tenant name must have 1 to 100 characters")
    return name


def create_key(engine: Engine, tenant: str, label: str | None = None) -> str:
    """Create the tenant if needed and a new key for it; return the key (shown once)."""
    tenant = _check_tenant_name(tenant)
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with engine.begin() as conn:
        tenant_id = conn.execute(
            text(
                "INSERT INTO tenant (name) VALUES (:name) ON CONFLICT (name) "
                "DO UPDATE SET name = EXCLUDED.name RETURNING id"
            ),
            {"name": tenant},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO api_key (tenant_id, prefix, key_hash, label) "
                "VALUES (:tenant_id, :prefix, :hash, :label)"
            ),
            {"tenant_id": tenant_id, "prefix": prefix, "hash": hash_key(key), "label": label},
        )
    return key


def authenticate(engine: Engine, key: str) -> int | None:
    """The tenant id of a valid, unrevoked key; ``None`` otherwise."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "UPDATE api_key SET last_used_at = now() "
                "WHERE key_hash = :hash AND revoked_at IS NULL "
                "AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') "
                "RETURNING tenant_id"
            ),
            {"hash": hash_key(key)},
        ).first()
        if row is None:
            row = conn.execute(
                text("SELECT tenant_id FROM api_key WHERE key_hash = :hash AND revoked_at IS NULL"),
                {"hash": hash_key(key)},
            ).first()
    return None if row is None else int(row[0])


def revoke(engine: Engine, prefix: str) -> None:
    prefix = prefix.removeprefix(KEY_PREFIX).split("_")[0]
    with engine.begin() as conn:
        done = conn.execute(
            text(
                "UPDATE api_key SET revoked_at = now() WHERE prefix = :prefix "
                "AND revoked_at IS NULL"
            ),
            {"prefix": prefix},
        ).rowcount
    if not done:
        raise NotFound(
            f"no active API key with prefix {prefix}; `pregonero apikey list` shows them"
        )


def list_keys(engine: Engine) -> list[KeyInfo]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT k.prefix, t.name, k.label, k.created_at, k.last_used_at, k.revoked_at "
                "FROM api_key k JOIN tenant t ON t.id = k.tenant_id ORDER BY k.id"
            )
        )
        return [KeyInfo(*row) for row in rows]
