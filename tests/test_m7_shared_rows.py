"""M7, no lost updates, with real processes on the real database (SQLite file or PostgreSQL):
simultaneous wrong passwords lock the account after at most `max_failed_logins`, and a grant
revoked while logins write the same account row stays revoked.

Workers start with multiprocessing's 'spawn' context (each imports smartpay afresh and opens its
own connection) and race behind a barrier, as in tests/test_concurrency.py."""
from __future__ import annotations

import random
import time
import traceback

import pytest
from argon2 import PasswordHasher

from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.db.models import Account
from smartpay.core.errors import AccountLocked, AuthenticationFailed
from smartpay.core.passwords import Passwords

from support import CHEAP_PASSWORDS, NOW, PASSWORD
from processes import run_behind_barrier

pytestmark = pytest.mark.slow

START_TIMEOUT = 90
JOIN_TIMEOUT = 180
GUESSERS = 12
ROUNDS = 50
LOGINS_PER_ROUND = 20
LOGIN_WORKERS = 4
# Verifying against this hash takes a few milliseconds: long enough that unlocked
# read-verify-save sequences of different processes overlap, as they do with real hashes.
SLOW_ENOUGH = Passwords(PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1))


def _open(db_url: str, **settings) -> Smartpay:
    return Smartpay.open(Settings(db_url=db_url, **settings), FixedClock(NOW), passwords=CHEAP_PASSWORDS)


def _guess_worker(db_url: str, barrier, results) -> None:
    """One wrong password, sent with all the others at once."""
    try:
        core = _open(db_url)
        barrier.wait(START_TIMEOUT)
        try:
            core.auth.login("inst_none", "wrong-password")
            answer = "accepted"
        except AccountLocked:
            answer = "locked"
        except AuthenticationFailed:
            answer = "incorrect"
        core.close()
    except Exception:
        barrier.abort()
        answer = traceback.format_exc()
    results.put(answer)


def _login_worker(db_url: str, seed: int, barrier, results) -> None:
    """Each round: wrong and right passwords in turn, so every login writes the account row
    (a failure counts; a success clears the count)."""
    try:
        core = _open(db_url, max_failed_logins=10_000)
        rng = random.Random(seed)
        for _ in range(ROUNDS):
            barrier.wait(START_TIMEOUT)
            for n in range(LOGINS_PER_ROUND // LOGIN_WORKERS):
                try:
                    core.auth.login("inst_regular", PASSWORD if (n + seed) % 2 else "wrong-password")
                except AuthenticationFailed:
                    pass
                if rng.random() < 0.3:
                    time.sleep(0.001)
            barrier.wait(START_TIMEOUT)
        core.close()
        results.put("ok")
    except Exception:
        barrier.abort()
        results.put(traceback.format_exc())


def _revoke_worker(db_url: str, barrier, results) -> None:
    """Each round: grant "regular", start the round, revoke to "none" somewhere among the
    logins, and after the round read what the row holds."""
    try:
        core = _open(db_url, max_failed_logins=10_000)
        ak = core.auth.actor("aktest")
        rng = random.Random(99)
        held = []
        for _ in range(ROUNDS):
            core.grants.set_pay_by_installer(ak, "inst_regular", "regular")
            barrier.wait(START_TIMEOUT)
            time.sleep(rng.uniform(0, 0.01))
            core.grants.set_pay_by_installer(ak, "inst_regular", "none")
            barrier.wait(START_TIMEOUT)
            held.append(Account.get(Account.login == "inst_regular").pay_by_installer)
        core.close()
        results.put(held)
    except Exception:
        barrier.abort()
        results.put(traceback.format_exc())


def _run(jobs: list[tuple]) -> list:
    return run_behind_barrier(jobs, JOIN_TIMEOUT)


def _plant_hash(login: str) -> None:
    Account.update(password_hash=SLOW_ENOUGH.hash(PASSWORD)).where(Account.login == login).execute()


def test_m7_simultaneous_wrong_passwords_lock_the_account_after_at_most_the_limit(core, world, db_url):
    _plant_hash("inst_none")
    limit = core.settings.max_failed_logins
    core.close()
    answers = _run([(_guess_worker, (db_url,)) for _ in range(GUESSERS)])
    crashes = [a for a in answers if a not in ("incorrect", "locked", "accepted")]
    assert not crashes, crashes[0]
    # Every failure was counted: the limit-th one locked the account and every later one was
    # refused as locked — none answered "incorrect" beyond the limit.
    assert answers.count("incorrect") == limit - 1, answers
    assert answers.count("locked") == GUESSERS - (limit - 1), answers
    row = Account.get(Account.login == "inst_none")
    assert row.locked_until is not None and row.locked_until > NOW
    assert row.failed_logins == 0


def test_m7_a_revoke_racing_logins_holds_in_every_round(core, world, db_url):
    _plant_hash("inst_regular")
    core.close()
    jobs = [(_revoke_worker, (db_url,))] + [(_login_worker, (db_url, seed)) for seed in range(LOGIN_WORKERS)]
    out = _run(jobs)
    crashes = [o for o in out if isinstance(o, str) and o != "ok"]
    assert not crashes, crashes[0]
    held = next(o for o in out if isinstance(o, list))
    assert held == ["none"] * ROUNDS, f"revoke undone in {ROUNDS - held.count('none')} of {ROUNDS} rounds"
