"""A value from outside that cannot be used, naming the field and what to fix."""

from __future__ import annotations


class BadField(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
