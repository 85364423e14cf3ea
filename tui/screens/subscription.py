"""Subscription: the items of the operator's projects and when they expire, soonest first — what
needs renewing — and "New subscription / Pay", which opens the wizard (screens/wizard/) to
activate, renew or buy credits. The overview is read again when the wizard closes.

The wizard opens with the core's answer to "may this operator pay, and how?"
(wizard_queries.wizard_start). A payer who may pay for nothing (an installer without "Pay by
Installer") is refused before any wizard opens: the core's reason, in full, on a line of the
pane that wraps at 80 columns and stays until the next try.

A large distributor sees hundreds of thousands of items: the core joins, orders and counts them
(core.services.subscription_overview) in a worker, and a VirtualTable draws only the visible
lines."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label, Static

from smartpay.core.services.subscription_overview import (EXPIRING_SOON, ItemCounts, SubscriptionOverview,
                                                          subscription_overview)
from smartpay.core.services.wizard_queries import WizardStart, wizard_start

from ..widgets.pane import SectionPane
from ..widgets.virtual_table import VirtualTable
from ..terminal_safe import markup_text as escape
from ..workers import core_work

# Expiry and status first, then what identifies the item (its name, service and site): at 80
# columns these five fit; the zone is in the header, not in every cell (issue 10 #12).
COLUMNS = ("Expiration ({zone})", "Status", "Name", "Service Type", "Site", "Type")


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
        yield Static("", id="subscription-refusal", classes="form-error")
        zone = self.core.ptime.zone_label()
        yield VirtualTable([c.format(zone=zone) for c in COLUMNS], id="subscription-table")

    def on_mount(self) -> None:
        self.query_one("#subscription-refusal", Static).display = False
        self.action_reload()

    def action_new_subscription(self) -> None:
        self._show_refusal("")
        self._ask_start()

    @core_work(group="subscription-start", done="_open_wizard", refused="_start_refused")
    def _ask_start(self) -> WizardStart:
        return wizard_start(self.core, self.actor)

    def _open_wizard(self, start: WizardStart) -> None:
        from .wizard.screen import SubscriptionWizard
        self.app.push_screen(SubscriptionWizard(self.session, start=start), self._wizard_closed)

    def _start_refused(self, error) -> None:
        self._show_refusal(error.message)

    def _show_refusal(self, text: str) -> None:
        line = self.query_one("#subscription-refusal", Static)
        line.display = bool(text)
        line.update(f"Cannot open New / Pay: {escape(text)}" if text else "")

    def _wizard_closed(self, txn: str | None) -> None:
        if txn:  # an order was placed (and maybe paid): expiries may have moved
            self.action_reload()

    def action_reload(self) -> None:
        self.query_one(VirtualTable).loading = True
        self._load()

    @core_work(group="subscription-load", done="_loaded", refused="_load_refused")
    def _load(self) -> SubscriptionOverview:
        project = self.session.project
        return subscription_overview(self.core, self.actor, project.id if project else None)

    def _load_refused(self, error) -> None:
        self.report(error)
        self._loaded(SubscriptionOverview((), ItemCounts(0, 0, 0, 0, 0)))

    def _loaded(self, overview: SubscriptionOverview) -> None:
        fmt = self.core.ptime.short
        table = self.query_one(VirtualTable)
        table.loading = False
        table.set_rows([(fmt(r.item.expires_at), r.item.status.value.title(), r.item.subject_name,
                         r.item.service_label, r.site, r.project_type.label) for r in overview.rows])
        n = overview.counts
        self.query_one("#subscription-summary", Label).update(
            f"{n.total} item{'' if n.total == 1 else 's'} · {n.active} active ({n.expiring_soon} expire within "
            f"{EXPIRING_SOON.days} days) · {n.expired} expired · {n.inactive} never activated")
