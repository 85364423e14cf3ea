"""SSH keys (account menu): the operator's own public keys for `smartpay ssh serve`, listed by
fingerprint. Paste a public key line and press Enter to add it; `d` removes the highlighted key.
The core checks every line and has the last word; a refusal is shown under the box, with its
label, and clears when the line is edited."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Static

from ..session import Session
from ..widgets.form_field import FormField, mark_form
from ..widgets.form_guard import GuardedForm
from ..workers import CoreAnswers, core_work


class SshKeysModal(GuardedForm, CoreAnswers, ModalScreen[None]):
    CSS_PATH = "ssh_keys.tcss"
    DISCARD_QUESTION = "Discard the key you pasted?"
    DISCARD_DETAIL = "It has not been added."
    BINDINGS = [
        Binding("escape", "leave_form", "Close", id="ssh_keys.close",
                tooltip="Close (asks first if a key is pasted but not added)"),
        Binding("d", "remove", "Remove key", id="ssh_keys.remove", tooltip="Remove the highlighted key"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__(id="ssh-keys")
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="ssh-keys-box"):
            yield Label("SSH keys", id="ssh-keys-title")
            yield Static(f"A key listed here opens your desk with `ssh {self.session.actor.login}@server`.",
                         classes="muted", id="ssh-keys-hint")
            yield DataTable(id="ssh-keys-table", cursor_type="row")
            yield FormField("Public key", input_id="ssh-keys-input", label_width=12, id="field-ssh-key",
                            placeholder="paste one (ssh-ed25519 AAAA… you@laptop), Enter to add")
            yield Static("", id="ssh-keys-message", classes="form-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Fingerprint", "Type", "Comment")
        self.query_one("#ssh-keys-input", Input).focus()
        self._load()

    def _load(self, message: str = "") -> None:
        self._keys(message)

    @core_work(group="ssh-keys", done="_listed", refused="_refused")
    def _keys(self, message: str):
        return self.session.core.ssh_keys.keys_of(self.session.actor.login, by=self.session.actor), message

    def _listed(self, answer) -> None:
        self._show(*answer)

    def _refused(self, error) -> None:
        self._say(error.message)

    def _show(self, keys, message: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for key in keys:
            table.add_row(key.fingerprint, key.key_type, key.comment, key=key.fingerprint)
        if not keys:
            message = message or "No keys yet."
        self._say(message)

    def _say(self, text: str) -> None:
        self.query_one("#ssh-keys-message", Static).update(text)

    @on(Input.Submitted, "#ssh-keys-input")
    def _add(self, event: Input.Submitted) -> None:
        self._change("add", event.value)

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if self.focused is table and table.row_count:
            fingerprint = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self._change("remove", fingerprint)

    @core_work(group="ssh-keys", done="_changed", refused="_change_refused")
    def _change(self, what: str, value: str) -> tuple[str, str]:
        service, actor = self.session.core.ssh_keys, self.session.actor
        if what == "add":
            return what, f"Added {service.add(actor.login, value, by=actor).fingerprint}."
        service.remove(actor.login, value, by=actor)
        return what, f"Removed {value}."

    def _change_refused(self, error) -> None:
        """A bad key line is marked under the box, which keeps what was pasted."""
        self._say(mark_form(self, error) or "")

    def _changed(self, answer: tuple[str, str]) -> None:
        what, done = answer
        if what == "add":
            self.query_one("#ssh-keys-input", Input).clear()
        self._load(done)
