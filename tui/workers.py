"""The desk's one worker path (harlequin's): a blocking core call runs in a thread worker that
returns its answer or raises; the worker posts the outcome as one small message (`CoreAnswered`,
post_message being the one thread-safe call) and the node's handler runs it on the UI thread.

    @core_work(group="orders-load", done="_loaded")
    def _load(self) -> list[OrderListRow]:
        return self.core.orders.rows(self.actor)

`done` names the method that presents the answer. A refusal — a SmartpayError, whose message is
written for the operator — goes to the method named by `refused`; by default `refused()`, which
posts CoreFailed to the app's one error handler, so a refusal reads the same everywhere. Screens
that show a refusal in place (a form's field, the price bar) name their own. Any other exception
is a bug: the app stops with its traceback, as Textual's workers do by default.

`exclusive=True` (the default) keeps Textual's meaning: a new call in the group cancels the one
running. A thread cannot be stopped, so a replaced call still answers, as it did when workers used
call_from_thread: handlers that can receive a stale answer check it (the wizard's quote number,
its sites scope). Worker threads never touch a widget, and never wait for the UI."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from textual import work
from textual.message import Message

from smartpay.core.errors import SmartpayError

from .widgets.feedback import CoreFailed


@dataclass(frozen=True)
class Outcome:
    """What a core_work call came to: the handler to run on the UI thread and its argument."""

    handler: str | None
    value: Any
    args: tuple = ()   # the call's own arguments, handed back when asked (echo_args)


class CoreAnswered(Message, bubble=False):
    """A core_work worker's outcome, for the node that ran it (not its parents)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome


def core_work(*, group: str, done: str | None = None, refused: str = "refused", exclusive: bool = True,
              echo_args: bool = False) -> Callable[[Callable], Callable]:
    """Run the decorated method in a thread worker of `group`; see the module's docstring.
    `echo_args`: the handlers also receive the call's arguments (`done(answer, *args)`,
    `refused(error, *args)`), for a screen that must tell a stale answer from the current one."""
    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def call(self, *args, **kwargs) -> None:
            echoed = args if echo_args else ()
            try:
                outcome = Outcome(done, method(self, *args, **kwargs), echoed)
            except SmartpayError as error:  # the one place a refusal is caught in the desk
                outcome = Outcome(refused, error, echoed)
            self.post_message(CoreAnswered(outcome))
        return work(thread=True, exclusive=exclusive, group=group)(call)
    return decorate


class CoreAnswers:
    """Mixed into the screens and panes that run `core_work` workers: hands each outcome to its
    handler, on the UI thread."""

    def on_core_answered(self, event: CoreAnswered) -> None:
        event.stop()
        if event.outcome.handler is not None:
            getattr(self, event.outcome.handler)(event.outcome.value, *event.outcome.args)

    def refused(self, error: SmartpayError) -> None:
        """The default for a refusal: the app's one error path (a notification naming the rule)."""
        self.post_message(CoreFailed(error))
