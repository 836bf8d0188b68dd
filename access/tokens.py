"""Random bearer tokens, kept only as hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """Return a fresh token and the hash to store; the token itself is shown once."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """Hash a presented token for lookup (256 random bits need no slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
