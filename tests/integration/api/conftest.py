from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from tests.builders import a_tenant

KeyFactory = Callable[..., tuple[str, dict[str, str]]]


@pytest.fixture
def new_key(engine: Engine) -> KeyFactory:
    """A fresh tenant and key: returns (tenant name, auth headers)."""

    def make(name: str | None = None) -> tuple[str, dict[str, str]]:
        tenant = a_tenant(engine, name)
        return tenant.name, tenant.auth

    return make
