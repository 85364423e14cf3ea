"""Subscription: the items of the operator's projects and when they expire, soonest first — what
needs renewing — and "New subscription / Pay", which opens the wizard (screens/wizard/) to
activate, renew or buy credits. The overview is read again when the wizard closes.

A large distributor sees hundreds of thousands of items: two queries (projects, items) in a
worker, and a VirtualTable that draws only the visible lines."""
from __future__ import annotations

import datetime as dt

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from smartpay.core.domain import ItemStatus
from smartpay.core.views import ItemView, ProjectView

from ..widgets.pane import SectionPane
from ..widgets.virtual_table import VirtualTable

# Expiry and status first: they are what an 80-column terminal must show.
COLUMNS = ("Expiration Time", "Status", "Site", "Service Type", "Name", "Type")
SOON = dt.timedelta(days=30)


def expiry_order(item: ItemView):
    # Expired and soon-to-expire first, then later expiries, never-activated last.
    return (item.expires_at is None, item.expires_at or dt.datetime.max.replace(tzinfo=dt.timezone.utc),
            item.site, item.id)


class SubscriptionPane(SectionPane):
    PALETTE = (("New subscription / Pay", "Activate or renew services, or buy credits", "new_subscription"),
               ("Reload subscriptions", "Read the items and their expiries again", "reload"))
    BINDINGS = [Binding("ctrl+n", "new_subscription", "New / Pay", id="subscription.new",
                        tooltip="Activate or renew services, or buy credits"),
                Binding("ctrl+r", "reload", "Reload", id="subscription.reload",
                        tooltip="Read the items and expiries again")]

    def compose(self) -> ComposeResult:
        yield Label("Subscription", classes="pane-title")
        yield Label("", id="subscription-summary", classes="muted")
        yield VirtualTable(COLUMNS, id="subscription-table")

    def on_mount(self) -> None:
        self.action_reload()

    def action_new_subscription(self) -> None:
        from .wizard.screen import SubscriptionWizard
        self.app.push_screen(SubscriptionWizard(self.session), self._wizard_closed)

    def _wizard_closed(self, txn: str | None) -> None:
        if txn:  # an order was placed (and maybe paid): expiries may have moved
            self.action_reload()

    def action_reload(self) -> None:
        self.query_one(VirtualTable).loading = True
        self._load()

    @work(thread=True, exclusive=True, group="subscription-load")
    def _load(self) -> None:
        from smartpay.core.errors import SmartpayError
        rows: list[tuple[ProjectView, ItemView]] = []
        try:
            projects = {p.id: p for p in self.core.accounts.projects(self.actor)}
            rows = [(projects[i.project_id], i) for i in self.core.accounts.visible_items(self.actor)
                    if i.project_id in projects]
        except SmartpayError as exc:
            self.report(exc)
        self.app.call_from_thread(self._loaded, rows, self.core.clock.now())

    def _loaded(self, rows: list[tuple[ProjectView, ItemView]], now: dt.datetime) -> None:
        rows.sort(key=lambda pair: expiry_order(pair[1]))
        fmt = self.core.ptime.format
        table = self.query_one(VirtualTable)
        table.loading = False
        table.set_rows([(fmt(i.expires_at), i.status.value.title(), p.name, i.service_label, i.subject_name,
                         p.type.label) for p, i in rows])
        items = [i for _, i in rows]
        soon = sum(1 for i in items if i.status == ItemStatus.ACTIVE and i.expires_at - now <= SOON)
        counts = {s: sum(1 for i in items if i.status == s) for s in ItemStatus}
        self.query_one("#subscription-summary", Label).update(
            f"{len(items)} item{'' if len(items) == 1 else 's'} · {counts[ItemStatus.ACTIVE]} active ({soon} expire within 30 days) · "
            f"{counts[ItemStatus.EXPIRED]} expired · {counts[ItemStatus.INACTIVE]} never activated")
