"""Export the credit log, filtered as on screen, to a CSV file. The path starts as a free name in
the current directory; an existing file is replaced only after the operator confirms it.
Returns the core's CsvExport (path written, row count) or None through dismiss()."""
from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from smartpay.core.views import CsvExport

from ..session import Session
from ..widgets.confirm_dialog import ConfirmDialog
from ..widgets.form_field import FormField, mark_form
from ..widgets.form_guard import GuardedForm
from ..workers import CoreAnswers, core_work


def default_csv_path(session: Session, folder: Path | None = None) -> Path:
    """credit-log-<login>-<platform date>.csv in `folder` (the current directory), numbered so
    that the suggestion never names a file that is already there."""
    core = session.core
    day = core.ptime.local_date(core.clock.now()).isoformat()
    base = (folder or Path.cwd()) / f"credit-log-{session.actor.login}-{day}"
    candidate, n = base.with_suffix(".csv"), 2
    while candidate.exists():
        candidate, n = base.with_name(f"{base.name}-{n}").with_suffix(".csv"), n + 1
    return candidate


class ExportCsvModal(GuardedForm, CoreAnswers, ModalScreen[CsvExport | None]):
    CSS_PATH = "export_csv.tcss"
    DISCARD_QUESTION = "Discard the file name you typed?"
    DISCARD_DETAIL = "Nothing has been written."
    BINDINGS = [
        Binding("ctrl+s", "export", "Export", id="export.submit", tooltip="Write the CSV file"),
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Close without writing (asks first if you changed the name)"),
    ]

    def __init__(self, session: Session, *, kind: str | None = None, text: str = "", rows: int | None = None,
                 folder: Path | None = None) -> None:
        super().__init__(id="export-csv")
        self.session, self.kind, self.text, self.rows = session, kind, text, rows
        self.folder = folder

    def compose(self) -> ComposeResult:
        filters = []
        if self.kind:
            from smartpay.core.services.credits import kind_label
            filters.append(f"type {kind_label(self.kind)}")
        if self.text.strip():
            filters.append(f"text “{self.text.strip()}”")
        what = f"{self.rows:,} entries" if self.rows is not None else "The credit log"
        with Vertical(id="export-box"):
            yield Label("Export Credit Log to CSV", id="export-title")
            yield Static(f"{what}" + (f", filtered by {' and '.join(filters)}" if filters else " (no filter)"),
                         id="export-what", classes="muted")
            yield FormField("File", str(default_csv_path(self.session, self.folder)), input_id="export-path",
                            label_width=6, id="field-path", aliases=("path",))
            yield Static("", id="export-message", classes="form-error")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-submit")
                yield Button("Cancel", id="export-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-submit")
    def action_export(self) -> None:
        self.query_one("#field-path", FormField).set_error(None)
        path = self.query_one("#export-path", Input).value
        target = Path(path.strip()).expanduser() if path.strip() else None
        if target is not None and target.is_file():
            self.app.push_screen(ConfirmDialog(f"Replace {target.name}?", f"{target} already exists.",
                                               yes="Replace", no="Back", title="File exists"),
                                 lambda yes: self._write(path, True) if yes else None)
            return
        self._write(path, False)

    @core_work(group="export-csv", done="dismiss", refused="_refused")
    def _write(self, path: str, overwrite: bool) -> CsvExport:
        return self.session.core.credits.export_csv(self.session.actor, path, kind=self.kind, text=self.text,
                                                    overwrite=overwrite)

    def _refused(self, error: Exception) -> None:
        rest = mark_form(self, error)
        if rest:  # a refusal about no field (the log itself): shown on the form, not in a toast
            self.query_one("#field-path", FormField).set_error(rest)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.action_leave_form()
