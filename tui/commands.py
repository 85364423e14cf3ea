"""The command palette's entries for the desk: every section of the operator's left column,
each pane's PALETTE actions, and the account menu's entries. Imported on first palette use."""
from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .sections import sections_for


class SmartpayCommands(Provider):
    def _home(self):
        from .screens.home import HomeScreen
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, HomeScreen):
                return screen
        return None

    async def startup(self) -> None:
        from .screens.home import load_pane_class
        self.entries: list[tuple[str, str, object]] = []
        home = self._home()
        if home is None:
            return
        for section in sections_for(home.session.actor.role):
            self.entries.append((f"Open {section.title}", f"Go to {section.title} in the left column",
                                 partial(self._open, section.key)))
            try:
                pane = load_pane_class(section)
            except Exception:  # an unavailable pane still has its "Open" entry
                continue
            actor = home.session.actor
            offers = getattr(pane, "offers", lambda _actor, _action: True)
            for title, help_text, action in getattr(pane, "PALETTE", ()):
                if not offers(actor, action):  # only what the operator's role may do
                    continue
                self.entries.append((f"{section.title}: {title}", help_text, partial(self._run, section.key, action)))
        self.entries += [
            ("Billing information", "Company, Attn, address and TEL printed on your orders",
             partial(self._account, "billing")),
            ("Account menu", "Credit Logs, Billing information, Log out", partial(self._account, "menu")),
            ("Log out", "Leave this account and return to the login screen", partial(self._account, "logout")),
        ]

    def _open(self, key: str) -> None:
        home = self._home()
        if home is not None:
            self._close_modals(home)
            home.show_section(key)

    def _run(self, key: str, action: str) -> None:
        home = self._home()
        if home is not None:
            self._close_modals(home)
            home.run_pane_action(key, action)

    def _account(self, what: str) -> None:
        home = self._home()
        if home is None:
            return
        if what == "billing":
            home.open_billing_info()
        elif what == "menu":
            home.action_account_menu()
        else:
            self.app.log_out()

    def _close_modals(self, home) -> None:
        while self.app.screen is not home and len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    async def discover(self) -> Hits:
        for title, help_text, callback in self.entries:
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.entries:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
