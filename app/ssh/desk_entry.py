"""The desk process's side of an SSH session (`smartpay ssh desk`, started by the server only):
read the one-time ticket from the inherited pipe, have the core redeem it, and open the desk
logged in as its account. Log out ends the session: the connection was the login."""
from __future__ import annotations

import os

from .desk_process import TICKET_FD_ENV


def read_ticket() -> str:
    """The ticket from the pipe the server left open for us; the pipe is closed after."""
    raw = os.environ.pop(TICKET_FD_ENV, "")
    if not raw.isdigit():
        from smartpay.core.errors import AuthenticationFailed
        raise AuthenticationFailed("desk ticket: this command is started by `smartpay ssh serve` only")
    fd = int(raw)
    try:
        chunks = []
        while chunk := os.read(fd, 256):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode().strip()


def run(core) -> None:
    from smartpay.tui.app import SmartpayApp
    from smartpay.tui.session import Session

    from ..hangup import run_desk
    actor = core.ssh_keys.redeem_ticket(read_ticket())
    run_desk(SmartpayApp(core, session=Session(core, actor), end_on_logout=True))
