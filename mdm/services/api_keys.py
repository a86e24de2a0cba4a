"""API keys: create (the secret is shown once), list, revoke, and authenticate requests.

A key reads `mk_<id>.<secret>`: the id is public (it names the key in lists, logs and the
audit trail); only the SHA-256 of the 256-bit secret is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mdm.domain import ConfigError, NotFoundError
from mdm.domain.access import ROLES, ApiKey
from mdm.store import UnitOfWork, utcnow

_PREFIX = "mk_"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key: `secret` is the full key to hand over; it cannot be shown again."""

    key: ApiKey
    secret: str


def create_key(
    uow: UnitOfWork,
    role: str,
    systems: Iterable[str] = (),
    name: str = "",
    known_systems: Iterable[str] | None = None,
) -> CreatedKey:
    """Create a key with `role`; a writer must name the systems it may load."""
    systems = tuple(sorted({s.strip() for s in systems if s.strip()}))
    problems = []
    if role not in ROLES:
        problems.append(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if role == "writer" and not systems:
        problems.append("a writer key needs --systems (the source systems it may load)")
    if known_systems is not None:
        known = set(known_systems)
        problems += [f"unknown source system {s!r}" for s in systems if s not in known]
    if problems:
        raise ConfigError(problems, source="api key")
    key_id = _PREFIX + secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with uow:
        uow.api_keys.add(key_id, _digest(secret), name, role, list(systems) or None, now)
        uow.record_audit("api_key.create", key_id, {"role": role, "systems": list(systems)})
        uow.commit()
    return CreatedKey(ApiKey(key_id, name, role, systems, now), f"{key_id}.{secret}")


def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    with uow:
        return [_key(row) for row in uow.api_keys.list()]


def revoke_key(uow: UnitOfWork, key_id: str) -> None:
    """Revoke a live key. Running API servers refuse it within their key cache time
    (MDM_API_KEY_CACHE_SECONDS, 5 s by default; see KeyVerifier)."""
    with uow:
        if not uow.api_keys.revoke(key_id, utcnow()):
            raise NotFoundError(f"no live API key {key_id!r} (see `mdm keys list`)")
        uow.record_audit("api_key.revoke", key_id, {})
        uow.commit()


def authenticate(uow: UnitOfWork, presented: str) -> ApiKey | None:
    """The live key that `presented` is, or None."""
    key_id, _, secret = presented.strip().partition(".")
    if not key_id.startswith(_PREFIX) or not secret or len(key_id) > 64:
        return None
    with uow:
        row = uow.api_keys.get(key_id)
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["key_hash"], _digest(secret)):
        return None
    return _key(row)


class KeyVerifier:
    """Authenticates presented keys, remembering each answer (the key, or "no such live
    key") for `ttl` seconds so the hot path stays off the store: a revoked key is refused
    within `ttl` seconds. At most `max_entries` answers are kept (the oldest go first);
    they are keyed by a hash of what was presented, so no secret stays in memory."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        ttl: float = 5.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self.ttl = ttl
        self._max = max(1, max_entries)
        self._clock = clock
        self._answers: dict[bytes, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def verify(self, presented: str) -> ApiKey | None:
        """The live key `presented` is, or None."""
        if self.ttl <= 0:
            return authenticate(self._uow_factory(), presented)
        now = self._clock()
        fingerprint = hashlib.sha256(presented.encode()).digest()
        answer = self._answers.get(fingerprint)
        if answer is not None and answer[0] > now:
            return answer[1]
        key = authenticate(self._uow_factory(), presented)
        with self._lock:
            self._answers.pop(fingerprint, None)
            while len(self._answers) >= self._max:
                del self._answers[next(iter(self._answers))]
            self._answers[fingerprint] = (now + self.ttl, key)
        return key


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        systems=tuple(row["systems"] or ()),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
