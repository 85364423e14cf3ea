"""The base of a section pane: it holds the session and reports the core's refusals through the
app's one handler. Panes load their data in thread workers; this keeps that contract short."""
from __future__ import annotations

from textual.widget import Widget

from ..session import Session
from ..workers import CoreAnswers
from .feedback import CoreFailed


class SectionPane(CoreAnswers, Widget):
    """`Pane(session, *, id=None)`, as sections.py expects. Its workers are `core_work` ones
    (tui/workers.py): they return their answer, and a refusal reaches the app's error path."""

    DEFAULT_CSS = """
    SectionPane { height: 100%; layout: vertical; }
    """

    @classmethod
    def offers(cls, actor, action: str) -> bool:
        """Whether this pane offers `action` to `actor` (its palette entries, footer keys): a pane
        hides what the core would refuse the actor's role; the core still enforces it."""
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.offers(self.actor, action)

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session

    @property
    def core(self):
        return self.session.core

    @property
    def actor(self):
        return self.session.actor

    def report(self, error: Exception, title: str = "") -> None:
        """Show a core refusal under `title` through the app's one error path."""
        self.post_message(CoreFailed(error, title))
