"""The left column: which sections exist, who sees them, and where their pane lives.

Panes are imported on first use (importlib), so start-up loads only the login screen and the
shell. A pane is a Widget subclass whose constructor is `Pane(session, *, id=None)`; it loads
its data in a thread worker on mount and may declare `PALETTE = ((title, help, action), ...)`:
command-palette entries that open the section and run `action_<action>` on the pane.
"""
from __future__ import annotations

from dataclasses import dataclass

from smartpay.core.domain import Role

DISTRIBUTORS = frozenset({Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR})
OPERATORS = frozenset({Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR, Role.INSTALLER, Role.PROPERTY_MANAGER})


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    module: str
    pane: str
    roles: frozenset[Role]


SECTIONS: tuple[Section, ...] = (
    Section("subscription", "Subscription", "smartpay.tui.screens.subscription", "SubscriptionPane", OPERATORS),
    Section("users", "Users", "smartpay.tui.screens.users", "UsersPane", DISTRIBUTORS),
    Section("projects", "Projects", "smartpay.tui.screens.projects", "ProjectsPane",
            frozenset({Role.INSTALLER})),
    Section("credit_logs", "Credit Logs", "smartpay.tui.screens.credit_logs", "CreditLogsPane", OPERATORS),
    Section("orders", "Orders", "smartpay.tui.screens.orders", "OrdersPane", OPERATORS),
    # Hooks and plugin versions are the desk's machinery: a property manager pays, it does not
    # run the desk (issue 10 #14). Installers keep it: they grant PMs methods by name.
    Section("plugins", "Plugins", "smartpay.tui.screens.plugins", "PluginsPane",
            DISTRIBUTORS | frozenset({Role.INSTALLER})),
)


def sections_for(role: Role) -> list[Section]:
    return [s for s in SECTIONS if role in s.roles]
