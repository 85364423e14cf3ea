"""`smartpay ssh serve` (the desk over SSH) and `smartpay keys …` (operators' public keys, admin:
for whoever holds the database, like `smartpay admin`). Operators manage their own keys in the
desk (account menu → SSH keys)."""
from __future__ import annotations

import sys

import click

from .output import emit_json, table
from .runtime import json_option, open_core, runtime


@click.group("ssh")
def ssh_group():
    """Serve the desk over SSH."""


@ssh_group.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=2222, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed).")
@click.option("--host-key", type=click.Path(dir_okay=False), metavar="PATH",
              help="Host key file, made on first run (default: ssh_host_ed25519_key in the data dir).")
@click.option("--password-auth/--no-password-auth", default=False, show_default=True,
              help="Also accept account passwords (through the desk's login and lock-out).")
@click.option("--max-sessions", default=50, show_default=True, type=click.IntRange(1, 10000),
              help="Sessions open at once, in total.")
@click.option("--max-per-account", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="Sessions open at once per account.")
@click.option("--idle-timeout", default=900.0, show_default=True, type=click.FloatRange(1, 86400),
              metavar="SECONDS", help="End a session after this long without a key from the client.")
def ssh_serve(host, port, host_key, password_auth, max_sessions, max_per_account, idle_timeout):
    """Serve the desk over SSH: each operator's key (or password) opens the desk as its account,
    in its own process; no shell, commands, sftp or forwarding. Ends its sessions on SIGTERM."""
    import asyncio
    import logging
    from pathlib import Path

    from smartpay.app.ssh import host_key as host_keys
    from smartpay.app.ssh.server import Limits, serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    core = open_core()  # refuses an out-of-date schema before anyone connects
    path = Path(host_key) if host_key else host_keys.default_path()
    key, created = host_keys.load_or_create(path)
    click.echo(f"host key {key.get_fingerprint('sha256')} ({path}{', created' if created else ''})")
    rt = runtime()
    child_env = {"SMARTPAY_DB": core.settings.db_url}  # the desks use this server's database
    if rt.config:
        child_env["SMARTPAY_CONFIG"] = str(Path(rt.config).resolve())
    limits = Limits(max_sessions=max_sessions, max_per_account=max_per_account, idle_seconds=idle_timeout,
                    password_auth=password_auth)

    def ready(bound_port: int) -> None:
        click.echo(f"listening on {host}:{bound_port}; password authentication "
                   f"{'on' if password_auth else 'off'}; at most {max_sessions} sessions, "
                   f"{max_per_account} per account; idle timeout {idle_timeout:.0f}s")
        sys.stdout.flush()

    asyncio.run(serve(core, host, port, key, limits, child_env, ready=ready))
    click.echo("stopped")


@ssh_group.command("desk", hidden=True)
def ssh_desk():
    """The desk of one SSH session (started by `ssh serve` with a one-time ticket)."""
    from smartpay.app.ssh import desk_entry
    desk_entry.run(open_core())


@click.group("keys")
def keys_group():
    """Operators' SSH public keys for `smartpay ssh serve` (no login: for whoever holds the database)."""


@keys_group.command("add")
@click.option("--login", "login_", required=True, metavar="L", help="The account the key opens.")
@click.option("--key", "key_file", required=True, type=click.File("r"), metavar="FILE",
              help="The public key file (id_ed25519.pub …), or - for stdin.")
@json_option
def keys_add(login_, key_file, as_json):
    """Register a public key: `ssh -i the-private-key -p PORT LOGIN@server` then opens LOGIN's desk."""
    core = open_core()
    view = core.ssh_keys.add(login_, key_file.readline())
    if as_json:
        emit_json(view)
    else:
        click.echo(f"added {view.fingerprint} ({view.key_type}) for {login_}")


@keys_group.command("list")
@click.option("--login", "login_", required=True, metavar="L")
@json_option
def keys_list(login_, as_json):
    """An account's keys, by fingerprint."""
    core = open_core()
    views = core.ssh_keys.keys_of(login_)
    if as_json:
        emit_json(views)
        return
    table(["Fingerprint", "Type", "Comment", "Added"],
          [(v.fingerprint, v.key_type, v.comment, core.ptime.format(v.added_at)) for v in views],
          empty=f"(no SSH keys for {login_})")


@keys_group.command("remove")
@click.option("--login", "login_", required=True, metavar="L")
@click.option("--fingerprint", required=True, metavar="SHA256:…", help="As `smartpay keys list` shows it.")
def keys_remove(login_, fingerprint):
    """Remove a key: new connections with it are refused, and `ssh serve` ends the sessions it
    opened within 10 seconds."""
    core = open_core()
    core.ssh_keys.remove(login_, fingerprint)
    click.echo(f"removed {fingerprint} from {login_}")
