"""Who is at the desk: the opened core and the logged-in operator. Every screen and pane gets
one; they call `session.core.<service>` with `session.actor` and receive plain dataclasses."""
from __future__ import annotations

from dataclasses import dataclass

from smartpay.core.context import Smartpay
from smartpay.core.views import Actor, ProjectView


@dataclass(frozen=True)
class Session:
    core: Smartpay
    actor: Actor
    # A property manager's project, switched to by name in the header (the seed's "Switch to the
    # target commercial project by clicking the project name"); None: all the projects it manages.
    project: ProjectView | None = None
