"""The shell after login: SmartPlus's left column of sections, a top bar with the account name
(top right) and its menu, and the current section's pane.

Panes are imported and mounted on first visit (importlib, see sections.py) and then kept, so
switching back is instant and start-up loads none of them. A pane module that is missing or
fails to import shows a clear "not available" pane instead of breaking the desk."""
from __future__ import annotations

import importlib
from dataclasses import replace

from textual import events, on
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, ContentSwitcher, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from smartpay.core.domain import Role

from ..sections import Section, sections_for
from ..session import Session


class UnavailablePane(Static):
    """Stands in for a section whose pane cannot be loaded."""

    def __init__(self, section: Section, reason: str, *, id: str | None = None) -> None:
        super().__init__(f"[b]{section.title}[/b] is not available in this build.\n\n{reason}",
                         id=id, classes="unavailable")


def load_pane_class(section: Section) -> type[Widget]:
    """The section's pane class; raises ImportError/AttributeError when it cannot be loaded."""
    module = importlib.import_module(section.module)
    return getattr(module, section.pane)


class HomeScreen(Screen):
    CSS_PATH = "home.tcss"
    BINDINGS = [
        # Not in the footer: at 80 columns it pushed out the pane's own keys and f1 Help. The
        # account menu is where the seed puts it, on the account name in the header (▾), and
        # ctrl+o is listed by f1 Help and offered by the palette.
        Binding("ctrl+o", "account_menu", "Account", id="home.account", show=False,
                tooltip="Credit Logs, Billing information, Log out"),
        # Not in the footer either (the pane's keys and f1 Help come first at 80 columns): the
        # left column is always on screen and its number keys open a section from anywhere.
        Binding("escape", "focus_nav", "Sections", id="home.sections", show=False, tooltip="Back to the left column"),
        Binding("ctrl+t", "switch_project", "Project", id="home.project",
                tooltip="Switch to another of your projects, by name"),
        *[Binding(str(n), f"open_nth({n - 1})", f"Section {n}", show=False, id=f"home.section{n}",
                  tooltip=f"Open the section number {n} of the left column") for n in range(1, 7)],
    ]

    def __init__(self, session: Session) -> None:
        super().__init__(id="home-screen")
        self.session = session
        self.sections = sections_for(session.actor.role)
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        actor = self.session.actor
        with Horizontal(id="topbar"):
            yield Label("smartpay", id="brand")
            yield Label(actor.role.label, id="role")
            if self.switches_project:
                project = self.session.project
                yield Button(f"{project.name if project else 'All my projects'} ▾", id="project", compact=True,
                             tooltip="Switch project (ctrl+t)")
            yield Button(f"{actor.name} ▾", id="account", compact=True,
                         tooltip="Account menu (ctrl+o)")
        with Horizontal(id="body"):
            with Vertical(id="nav-column"):
                yield OptionList(*[Option(s.title, id=s.key) for s in self.sections], id="nav")
                yield Static("", id="demo-clock")
            yield ContentSwitcher(id="content")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.session.core.clock.simulated:  # a demo (or test) clock: say which time the desk lives in
            self._tick()
            self.set_interval(15, self._tick)
        if self.sections:
            self.show_section(self.sections[0].key)
        self.query_one("#nav", OptionList).focus()

    def _tick(self) -> None:
        core = self.session.core
        now = core.ptime.local(core.clock.now())
        zone = core.ptime.offset_label(now).removesuffix(":00")
        self.query_one("#demo-clock", Static).update(f"Demo · {zone}\n{now:%Y-%m-%d %H:%M}")

    # -- sections ------------------------------------------------------------------------
    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def show_section(self, key: str) -> Widget | None:
        """Open a section (mounting its pane on first visit); returns the pane, or None when the
        role has no such section."""
        section = self.section(key)
        if section is None:
            return None
        switcher = self.query_one("#content", ContentSwitcher)
        pane_id = f"pane-{key}"
        existing = switcher.query(f"#{pane_id}")
        if existing:
            pane = existing.first()
        else:
            try:
                pane = load_pane_class(section)(self.session, id=pane_id)
            except Exception as exc:  # a missing or broken pane module must not break the shell
                pane = UnavailablePane(section, f"{type(exc).__name__}: {exc}", id=pane_id)
            switcher.mount(pane)
        switcher.current = pane_id
        self.current = key
        nav = self.query_one("#nav", OptionList)
        index = self.sections.index(section)
        if nav.highlighted != index:
            nav.highlighted = index
        self.sub_title = section.title
        self.refresh_bindings()   # the footer shows the open pane's commands (_pane_commands)
        return pane

    def run_pane_action(self, key: str, action: str) -> None:
        """Open a section and run `action_<action>` on its pane (command palette entries)."""
        pane = self.show_section(key)
        if pane is None:
            return
        method = getattr(pane, f"action_{action}", None)
        if method is not None:
            self.call_after_refresh(method)

    @on(OptionList.OptionSelected, "#nav")
    def _nav_selected(self, event: OptionList.OptionSelected) -> None:
        self.show_section(event.option.id)
        self.call_after_refresh(self._focus_pane)

    @on(OptionList.OptionHighlighted, "#nav")
    def _nav_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self.current:
            self.show_section(event.option.id)

    def _focus_pane(self) -> None:
        if self.current:
            pane = self.query_one(f"#pane-{self.current}")
            # The pane's list first (arrows and Enter work at once), else its first control.
            tables = [w for w in pane.query("DataTable, VirtualTable") if w.focusable]
            focusable = tables or [w for w in pane.query("*") if w.focusable]
            if focusable:
                focusable[0].focus()

    # -- the open pane's commands, from the left column --------------------------------------
    def _pane_commands(self) -> tuple[Widget | None, list[Binding]]:
        """While the left column has focus: the open pane and its bindings (ctrl+n New, a Assign,
        p Pay / Resume …), which then work from the column too and show in the footer — an
        operator who has just logged in sees and presses them without first stepping into the
        pane (issue 10 #14: "a Assign" showed only after Tab). Letters act on the pane's
        highlighted row, which the pane shows beside the column; the column itself types nothing."""
        if not self.current or not isinstance(self.focused, OptionList) or self.focused.id != "nav":
            return None, []
        pane = self.query_one(f"#pane-{self.current}")
        return pane, [b for b in getattr(pane, "BINDINGS", ()) if isinstance(b, Binding)]

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        pane, commands = self._pane_commands()
        for binding in commands:
            if binding.key not in bindings and pane.check_action(binding.action, ()) is not False:
                bindings[binding.key] = ActiveBinding(pane, binding, True, binding.tooltip)
        return bindings

    async def on_key(self, event: events.Key) -> None:
        # Reached only by keys nothing in the focus chain is bound to (see _pane_commands).
        pane, commands = self._pane_commands()
        for binding in commands:
            if event.key == binding.key:
                event.stop()
                await pane.run_action(binding.action)
                return

    def action_open_nth(self, index: int) -> None:
        if 0 <= index < len(self.sections):
            self.show_section(self.sections[index].key)
            self.call_after_refresh(self._focus_pane)

    def action_focus_nav(self) -> None:
        self.query_one("#nav", OptionList).focus()

    # -- the property manager's project (top bar) -----------------------------------------------
    @property
    def switches_project(self) -> bool:
        return self.session.actor.role == Role.PROPERTY_MANAGER

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_project":
            return self.switches_project
        return True

    @on(Button.Pressed, "#project")
    def action_switch_project(self) -> None:
        if not self.switches_project:
            return
        from .project_switch import ProjectSwitch
        self.app.push_screen(ProjectSwitch(self.session), self._project_chosen)

    async def _project_chosen(self, choice) -> None:
        from .project_switch import ALL
        if choice is None:
            return
        project = None if choice == ALL else choice
        self.session = self.app.session = replace(self.session, project=project)
        self.query_one("#project", Button).label = f"{project.name if project else 'All my projects'} ▾"
        # Panes are built on the new scope: each reads its data again for that project.
        current = self.current
        await self.query_one("#content", ContentSwitcher).remove_children()
        self.current = None
        self.show_section(current or self.sections[0].key)
        self.notify(f"Showing {project.name if project else 'all your projects'}.", title="Project")

    # -- the account menu (top right) ----------------------------------------------------
    @on(Button.Pressed, "#account")
    def action_account_menu(self) -> None:
        from .account_menu import AccountMenu
        self.app.push_screen(AccountMenu(self.session), self._account_choice)

    def _account_choice(self, choice: str | None) -> None:
        if choice == "credit_logs":
            self.show_section("credit_logs")
        elif choice == "billing":
            self.open_billing_info()
        elif choice == "ssh_keys":
            from .ssh_keys import SshKeysModal
            self.app.push_screen(SshKeysModal(self.session))
        elif choice == "logout":
            self.app.log_out()

    def open_billing_info(self) -> None:
        try:
            from .billing_info import BillingInfoModal
        except Exception as exc:
            self.notify(f"Billing information is not available: {exc}", severity="warning")
            return
        self.app.push_screen(BillingInfoModal(self.session))
