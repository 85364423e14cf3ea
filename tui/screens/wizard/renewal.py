"""Step 2 for Renew: Auto Renew or Manual Renew. Manual asks "Renew To" (a date, shown with the
platform's GMT offset); Auto asks how long the renewal lasts (a number of 30-day cycles or an
end date). The summary under it (counts per service type and the total) follows the inputs."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, RadioSet, Static

from ...widgets.ticks import RadioChoice as RadioButton  # (•)/( ): differ without colour

from ...widgets.form_field import FormField
from .fields import labelled
from smartpay.core.domain import RenewMode

from .state import WizardChoices

AUTO_NOTE = ("Renewal occurs every 30 days and extends the upcoming expiration date by 30 days. "
             "Coupons and credits are not supported for auto-renewal.")


class RenewalStep(Vertical):
    def __init__(self, choices: WizardChoices, offset: str, *, id: str = "page-renewal") -> None:
        super().__init__(id=id, classes="wiz-page")
        self.choices, self.gmt_offset = choices, offset

    def compose(self) -> ComposeResult:
        c = self.choices
        yield Label("Renew", classes="wiz-heading")
        yield labelled("Renewal", RadioSet(RadioButton("Manual Renew", value=c.renew_mode == RenewMode.MANUAL,
                                                       id=f"wiz-mode-{RenewMode.MANUAL}"),
                                           RadioButton("Auto Renew", value=c.renew_mode == RenewMode.AUTO,
                                                       id=f"wiz-mode-{RenewMode.AUTO}"),
                                           compact=True, id="wiz-renew-mode"))
        yield FormField("Renew To", input_id="wiz-renew-to", label_width=15, id="wiz-manual-row",
                        control=Input(c.renew_to, placeholder="YYYY-MM-DD", compact=True, id="wiz-renew-to"),
                        after=(Label(self.gmt_offset, classes="muted wiz-offset"),))
        with Vertical(id="wiz-auto-rows"):
            yield labelled("Lasts", RadioSet(RadioButton("Number of cycles", value=c.auto_by == "cycles",
                                                         id="wiz-by-cycles"),
                                             RadioButton("Until a date", value=c.auto_by == "until", id="wiz-by-until"),
                                             compact=True, id="wiz-auto-by"))
            yield FormField("Cycles", input_id="wiz-cycles", label_width=15, id="wiz-cycles-row",
                            control=Input(c.auto_cycles, placeholder="1–61", compact=True, id="wiz-cycles"))
            yield FormField("Until", input_id="wiz-until", label_width=15, id="wiz-until-row",
                            control=Input(c.auto_until, placeholder="YYYY-MM-DD", compact=True, id="wiz-until"),
                            after=(Label(self.gmt_offset, classes="muted wiz-offset"),))
            yield Static(AUTO_NOTE, classes="muted wiz-note")
        yield Static("", id="wiz-renew-summary")

    def on_mount(self) -> None:
        self.sync()

    def sync(self) -> None:
        manual = self.choices.renew_mode == RenewMode.MANUAL
        self.query_one("#wiz-manual-row").display = manual
        self.query_one("#wiz-auto-rows").display = not manual
        self.query_one("#wiz-cycles-row").display = self.choices.auto_by == "cycles"
        self.query_one("#wiz-until-row").display = self.choices.auto_by == "until"

    def show_summary(self, markup: str) -> None:
        self.query_one("#wiz-renew-summary", Static).update(markup)

    @on(RadioSet.Changed, "#wiz-renew-mode")
    def _mode(self, event: RadioSet.Changed) -> None:
        self.choices.renew_mode = RenewMode(event.pressed.id.removeprefix("wiz-mode-"))
        self.sync()

    @on(RadioSet.Changed, "#wiz-auto-by")
    def _by(self, event: RadioSet.Changed) -> None:
        self.choices.auto_by = event.pressed.id.removeprefix("wiz-by-")
        self.sync()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        field = {"wiz-renew-to": "renew_to", "wiz-cycles": "auto_cycles", "wiz-until": "auto_until"}.get(event.input.id)
        if field:
            setattr(self.choices, field, event.value.strip())
