"""Agent and X11 forwarding reach the audit log like every other refusal.

asyncssh refuses both itself (`serve` switches them off) and offers no callback for it: the only
trace is a line in its own log, "Agent forwarding request denied" or "X11 forwarding request
denied", under the asking connection's context ("[conn=7] "). This filter on asyncssh's logger
matches those lines to the connection that asked and hands them to its refusal, so `-A` and `-X`
are audited with the account and address like an exec or an sftp request.

It also keeps asyncssh's own INFO chatter out of the server's log, as before: the filter passes
on warnings and errors only (the logger has to be at INFO for the denial lines to be made)."""
from __future__ import annotations

import logging
from typing import Callable

import asyncssh

DENIED = {
    "Agent forwarding request denied": "agent forwarding",
    "X11 forwarding request denied": "X11 forwarding",
}


class ForwardingDenials(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.refusals: dict[str, Callable[[str], None]] = {}

    def watch(self, conn: asyncssh.SSHServerConnection, refuse: Callable[[str], None]) -> str:
        """`refuse(what)` is called for each denial on `conn`; returns the key for `forget`."""
        # LoggerAdapter.process is public: it gives the context asyncssh puts before the
        # connection's lines, e.g. "[conn=7] " (the closing bracket keeps conn=70 apart).
        context = conn.logger.process("", {})[0]
        self.refusals[context] = refuse
        return context

    def forget(self, context: str) -> None:
        self.refusals.pop(context, None)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        for text, what in DENIED.items():
            if text in message:
                for context, refuse in list(self.refusals.items()):
                    if message.startswith(context):
                        refuse(what)
        return False

    def install(self) -> None:
        logger = logging.getLogger("asyncssh")
        logger.setLevel(logging.INFO)
        logger.addFilter(self)

    def uninstall(self) -> None:
        logging.getLogger("asyncssh").removeFilter(self)
