"""Billing information (R10): Company/Family, ATTN, Address, TEL, Fax — required before paying and
copied into each order. Every bad field gets its message underneath it, the form keeps what was
typed, and core.billing.save has the last word. Returns the saved BillingInfoView or None."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from smartpay.core.views import BillingInfoView

from ..session import Session
from ..widgets.form_field import FormField, mark_form
from ..widgets.form_guard import GuardedForm
from ..workers import CoreAnswers, core_work

# (field name as the core names it, input id, placeholder)
FIELDS = (
    ("Company/Family", "billing-company", "company or family name"),
    ("ATTN", "billing-attn", "contact person"),
    ("Address", "billing-address", "street, city, country"),
    ("TEL", "billing-tel", "e.g. +65 6123 4567"),
    ("Fax", "billing-fax", "optional"),
)


class BillingInfoModal(GuardedForm, CoreAnswers, ModalScreen[BillingInfoView | None]):
    CSS_PATH = "billing_info.tcss"
    DISCARD_QUESTION = "Discard your changes to the billing information?"
    DISCARD_DETAIL = "What you typed will be lost; the saved billing information stays as it was."
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="billing.save", tooltip="Check and save the billing information"),
        Binding("escape", "cancel", "Cancel", id="billing.cancel", tooltip="Close without saving (asks first if you changed something)"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__(id="billing-info")
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="billing-box"):
            yield Label("Billing Information", id="billing-title")
            yield Static("Required before paying; each order keeps a copy.", classes="muted", id="billing-hint")
            for name, input_id, placeholder in FIELDS:
                yield FormField(name, input_id=input_id, placeholder=placeholder, label_width=16,
                                id=f"field-{input_id}", max_length=256 if name == "Address" else 128)
            yield Static("", id="billing-message", classes="form-error")
            with Horizontal(id="billing-buttons"):
                yield Button("Save", variant="primary", id="billing-save")
                yield Button("Cancel", id="billing-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#billing-box").loading = True
        self._load()

    @core_work(group="billing-load", done="_fill", refused="_load_refused")
    def _load(self) -> BillingInfoView | None:
        return self.session.core.billing.get(self.session.actor)

    def _load_refused(self, error) -> None:
        self._show_message(error.message)

    def _fill(self, info: BillingInfoView | None) -> None:
        if info is not None:
            for value, (_, input_id, _) in zip((info.company, info.attn, info.address, info.tel, info.fax), FIELDS):
                self.query_one(f"#{input_id}", Input).value = value
        self.query_one("#billing-box").loading = False
        self.remember_form()   # what was read is what it opened with
        self.query_one(f"#{FIELDS[0][1]}", Input).focus()

    def values(self) -> list[str]:
        return [self.query_one(f"#{input_id}", Input).value for _, input_id, _ in FIELDS]

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        ids = [input_id for _, input_id, _ in FIELDS]
        if event.input.id == ids[-1]:
            self.action_save()
        elif event.input.id in ids:
            self.query_one(f"#{ids[ids.index(event.input.id) + 1]}", Input).focus()

    @on(Button.Pressed, "#billing-save")
    def action_save(self) -> None:
        self._show_message("")  # the fields' errors stay until edited or judged again
        self.query_one("#billing-save", Button).disabled = True
        self._save(*self.values())

    @core_work(group="billing-save", done="_saved", refused="_save_refused")
    def _save(self, *values: str) -> BillingInfoView:
        """The saved information; a refusal names every bad field at once (R10: nothing is saved)."""
        return self.session.core.billing.save(self.session.actor, *values)

    def _save_refused(self, error) -> None:
        self.query_one("#billing-save", Button).disabled = False
        self._show_message(mark_form(self, error) or "")

    def _saved(self, info: BillingInfoView) -> None:
        self.app.notify("Billing information saved.", title="Billing Information")
        self.dismiss(info)

    def _show_message(self, text: str) -> None:
        message = self.query_one("#billing-message", Static)
        message.update(text)
        message.display = bool(text)

    @on(Button.Pressed, "#billing-cancel")
    def action_cancel(self) -> None:
        self.action_leave_form()
