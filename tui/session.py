"""Who is at the desk: the opened core and the logged-in operator. Every screen and pane gets
one; they call `session.core.<service>` with `session.actor` and receive plain dataclasses."""
from __future__ import annotations

from dataclasses import dataclass

from smartpay.core.context import Smartpay
from smartpay.core.views import Actor


@dataclass(frozen=True)
class Session:
    core: Smartpay
    actor: Actor
