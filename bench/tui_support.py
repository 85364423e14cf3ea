"""What the TUI benchmarks share: the seeded demo desk in a throw-away SQLite file, logged in as
a user, and the percentile they report. The demo data is the one `smartpay demo` shows; each
benchmark adds its own bulk rows on top (`fill`)."""
from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from typing import Callable, Iterator

GMT8 = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 9, 10, 14, 0, tzinfo=GMT8)


@contextlib.contextmanager
def demo_session(login: str, fill: Callable[[object], None]) -> Iterator[object]:
    """A tui Session of `login` on the seeded demo desk after `fill(core)`; closed afterwards."""
    from smartpay.app import demo
    from smartpay.core.clock import FixedClock
    from smartpay.core.config import Settings
    from smartpay.core.context import Smartpay
    from smartpay.core.ids import SeededIds
    from smartpay.core.passwords import Passwords
    from argon2 import PasswordHasher, profiles
    from smartpay.tui.session import Session

    with tempfile.TemporaryDirectory() as tmp:
        core = Smartpay.open(Settings(db_url=f"sqlite:///{tmp}/bench.db"), FixedClock(NOW), upgrade=True,
                             ids=SeededIds(7),
                             passwords=Passwords(PasswordHasher.from_parameters(profiles.CHEAPEST)))
        try:
            demo.seed(core)
            fill(core)
            yield Session(core, core.auth.login(login, demo.DEMO_PASSWORD))
        finally:
            core.close()


def pct(values: list[float], q: float) -> float:
    """The q-quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
