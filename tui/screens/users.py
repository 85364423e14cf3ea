"""Users (distributors and sub-distributors): the installers and sub-distributors of the
operator's downline, searchable, with New and Edit in a modal.

A large distributor has thousands of installers, so the list is loaded once in a thread
worker, filtered in memory on the dataclasses (a precomputed lower-case haystack per row) and
handed to a VirtualTable, which draws only the lines on screen; keystrokes are debounced.
The core decides who may do what (R1/R2):
an installer that reached this pane would still be refused by the service."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label

from smartpay.core.domain import Role
from smartpay.core.views import AccountView

from ..widgets.debounce import Debouncer
from ..widgets.grants import short_grant
from ..widgets.pane import SectionPane
from ..widgets.virtual_table import VirtualTable
from ..workers import core_work

COLUMNS = ("Login", "Role", "Pay by Installer", "Name", "Parent", "Email")
# The Users screen lists who a distributor manages directly: installers and sub-distributors
# (property managers belong to their installer and are not edited here).
LISTED_ROLES = (Role.INSTALLER, Role.SUB_DISTRIBUTOR)


def haystack(user: AccountView) -> str:
    return f"{user.login}\t{user.name}\t{user.role.label}\t{user.parent_login or ''}\t{user.email or ''}".casefold()


def row_of(user: AccountView) -> tuple[str, ...]:
    grant = short_grant(user.pay_by_installer) if user.role == Role.INSTALLER else "—"
    return (user.login, user.role.label, grant, user.name, user.parent_login or "", user.email or "")


class UsersPane(SectionPane):
    PALETTE = (
        ("New user", "Add an installer or sub-distributor to your downline", "new_user"),
        ("Search users", "Filter your installers and sub-distributors", "search"),
    )
    BINDINGS = [
        Binding("ctrl+n", "new_user", "New", id="users.new", tooltip="Add an installer or sub-distributor"),
        # priority: the search box (an Input, whose own ctrl+e is end-of-line) keeps Edit shown and working.
        Binding("ctrl+e", "edit_user", "Edit", id="users.edit", tooltip="Edit the highlighted user",
                priority=True),
        Binding("slash", "search", "Search", id="users.search", show=False, tooltip="Jump to the search box"),
        Binding("ctrl+r", "reload", "Reload", id="users.reload", show=False, tooltip="Load the list again"),
    ]

    def __init__(self, session, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        self.users: list[AccountView] = []
        self._haystacks: list[str] = []   # per user, lower-case: what the search matches
        self._rows: list[tuple[str, ...]] = []  # per user, the table cells (built once per load)
        self._widths: list[int] = []
        self.shown: list[AccountView] = []
        self._debounce = Debouncer(self, self.apply_filter)

    def compose(self) -> ComposeResult:
        yield Label("Users", classes="pane-title")
        with Horizontal(classes="toolbar"):
            yield Input(placeholder="Search login, name, role, parent…", id="users-search", compact=True)
            yield Button("New", id="users-new", compact=True, variant="primary")
            yield Button("Edit", id="users-edit", compact=True)
        yield VirtualTable(COLUMNS, id="users-table")
        yield Label("", id="users-count", classes="muted")

    def on_mount(self) -> None:
        self.action_reload()

    # -- loading and filtering -----------------------------------------------------------
    def action_reload(self) -> None:
        self.query_one(VirtualTable).loading = True
        self._load()

    @core_work(group="users-load", done="_loaded", refused="_load_refused")
    def _load(self) -> list[AccountView]:
        return [u for u in self.core.accounts.users(self.actor) if u.role in LISTED_ROLES]

    def _load_refused(self, error) -> None:
        self.report(error)
        self._loaded([])

    def _loaded(self, users: list[AccountView]) -> None:
        self.users = users
        self._haystacks = [haystack(u) for u in users]
        self._rows = [row_of(u) for u in users]
        table = self.query_one(VirtualTable)
        self._widths = table.measure(self._rows)  # fixed while filtering: columns don't jump
        table.loading = False
        self.apply_filter()

    @on(Input.Changed, "#users-search")
    def _search_changed(self) -> None:
        self._debounce()

    @on(Input.Submitted, "#users-search")
    def _search_submitted(self) -> None:
        self._debounce.flush()
        self.query_one(VirtualTable).focus()

    def apply_filter(self) -> None:
        words = self.query_one("#users-search", Input).value.casefold().split()
        if words:
            picked = [i for i, h in enumerate(self._haystacks) if all(w in h for w in words)]
        else:
            picked = range(len(self.users))
        self.shown = [self.users[i] for i in picked]
        self.query_one(VirtualTable).set_rows([self._rows[i] for i in picked], self._widths)
        total = len(self.users)
        self.query_one("#users-count", Label).update(
            f"{len(self.shown):,} of {total:,} users" if words else f"{total:,} users")

    def highlighted(self) -> AccountView | None:
        table = self.query_one(VirtualTable)
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    # -- actions -------------------------------------------------------------------------
    def action_search(self) -> None:
        self.query_one("#users-search", Input).focus()

    @on(Button.Pressed, "#users-new")
    def action_new_user(self) -> None:
        from .user_form import UserModal
        subs = [u for u in self.users if u.role == Role.SUB_DISTRIBUTOR]
        self.app.push_screen(UserModal(self.session, parents=subs), self._saved)

    @on(Button.Pressed, "#users-edit")
    def action_edit_user(self) -> None:
        user = self.highlighted()
        if user is None:
            self.notify("Choose a user in the list first", severity="warning")
            return
        from .user_form import UserModal
        self.app.push_screen(UserModal(self.session, user), self._saved)

    @on(VirtualTable.RowSelected, "#users-table")
    def _row_chosen(self) -> None:
        self.action_edit_user()

    def _saved(self, user: AccountView | None) -> None:
        if user is None:
            return
        for index, old in enumerate(self.users):
            if old.login == user.login:
                self.users[index], self._haystacks[index], self._rows[index] = user, haystack(user), row_of(user)
                break
        else:
            self.users.append(user)
            self._haystacks.append(haystack(user))
            self._rows.append(row_of(user))
        self._widths = self.query_one(VirtualTable).measure(self._rows)
        self.apply_filter()
        self.notify(f"Saved {user.login}", timeout=3)
