"""Throttling of guesses from the web: keys of the requesting address, limits from config."""

from __future__ import annotations

import hashlib

from flask import current_app, request

from surveyapp.store import throttle
from surveyapp.store.connection import get_db


def address_key(kind: str) -> str:
    """Return the throttle key of the requesting address (hashed: no address is stored)."""
    address = request.remote_addr or "unknown"
    return f"{kind}:ip:" + hashlib.sha256(address.encode()).hexdigest()[:16]


def too_many(keys: list[str], limit: str, window: str) -> bool:
    """Whether any key has reached the limit within the window (both named settings)."""
    config = current_app.config
    return throttle.failures(get_db(), keys, config[window]) >= config[limit]


def count_failure(keys: list[str]):
    """Count one failed attempt against each key."""
    throttle.record_failure(get_db(), keys)


def forget(key: str):
    """Forget the failed attempts of one key."""
    throttle.clear(get_db(), key)
