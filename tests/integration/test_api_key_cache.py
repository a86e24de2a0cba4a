"""The API's cache of verified keys: answers are reused for a bounded time and number of
keys, and a revoked key is refused once its answer is older than the cache time."""

from __future__ import annotations

import pytest

from mdm.services import api_keys
from mdm.services.api_keys import KeyVerifier
from mdm.store import UnitOfWork


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counted(engine):
    """A unit-of-work factory that counts how often the store is asked."""
    calls = []

    def factory() -> UnitOfWork:
        calls.append(1)
        return UnitOfWork(engine, "api")

    return factory, calls


def _key(engine, role: str = "reader") -> str:
    return api_keys.create_key(UnitOfWork(engine, "test"), role, name=role).secret


def test_a_verified_key_is_not_looked_up_again_within_the_cache_time(engine, counted):
    factory, calls = counted
    clock = FakeClock()
    verifier = KeyVerifier(factory, ttl=5, clock=clock)
    secret = _key(engine)
    assert verifier.verify(secret).role == "reader"
    clock.now += 4.9
    assert verifier.verify(secret).role == "reader"
    assert len(calls) == 1
    clock.now += 0.2
    assert verifier.verify(secret).role == "reader"
    assert len(calls) == 2


def test_a_revoked_key_is_refused_once_its_cached_answer_expires(engine, counted):
    factory, _ = counted
    clock = FakeClock()
    verifier = KeyVerifier(factory, ttl=5, clock=clock)
    secret = _key(engine)
    assert verifier.verify(secret) is not None
    api_keys.revoke_key(UnitOfWork(engine), secret.split(".")[0])
    clock.now += 5.0
    assert verifier.verify(secret) is None


def test_without_a_cache_time_every_request_asks_the_store(engine, counted):
    factory, calls = counted
    verifier = KeyVerifier(factory, ttl=0)
    secret = _key(engine)
    assert verifier.verify(secret) is not None
    api_keys.revoke_key(UnitOfWork(engine), secret.split(".")[0])
    assert verifier.verify(secret) is None
    assert len(calls) == 2


def test_a_cached_key_does_not_vouch_for_a_wrong_secret_with_its_id(engine, counted):
    factory, _ = counted
    verifier = KeyVerifier(factory, ttl=60, clock=FakeClock())
    secret = _key(engine)
    assert verifier.verify(secret) is not None
    assert verifier.verify(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert verifier.verify(secret.split(".")[0] + ".") is None


def test_the_cache_keeps_a_bounded_number_of_answers_oldest_out_first(engine, counted):
    factory, calls = counted
    verifier = KeyVerifier(factory, ttl=60, max_entries=2, clock=FakeClock())
    first, second, third = _key(engine), _key(engine), _key(engine)
    for secret in (first, second, third, third, second):
        assert verifier.verify(secret) is not None
    assert len(calls) == 3  # third and second were still cached
    assert verifier.verify(first) is not None
    assert len(calls) == 4  # first had been dropped to make room for third
    verifier.verify(third)
    assert len(calls) == 4  # still cached; second went to make room for first
    verifier.verify(second)
    assert len(calls) == 5
