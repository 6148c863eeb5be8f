"""Celery side of Pregonero: ``celery -A workers worker|beat|flower|sms``."""

from workers.app import app

celery = app

__all__ = ["app", "celery"]
