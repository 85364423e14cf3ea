"""`smartpay plugins` (no login, no database) and `smartpay demo`."""
from __future__ import annotations

import shlex

import os

import click

from .output import emit_json, fields, grant_label, heading, say, table
from .runtime import global_option, json_option, open_core, runtime


@click.command("plugins")
@json_option
def plugins(as_json):
    """Loaded payment plugins (versions, hooks, methods) and skipped ones with the reason."""
    from smartpay.core.plugin_host import PluginHost
    host = PluginHost(config=runtime().settings().plugin_config)
    loaded, skipped = host.plugins(), host.skipped()
    root = click.get_current_context().find_root().command
    commands = root.load_plugin_commands() if hasattr(root, "load_plugin_commands") else {}
    if as_json:
        emit_json({"plugins": loaded, "skipped": skipped,
                   "commands": [{"name": n, "plugin": p} for n, p in sorted(commands.items())]})
        return
    table(["Plugin", "Version", "Module", "Methods", "Hooks"],
          [(p.name, p.version, p.module, ", ".join(p.methods), ", ".join(p.hooks)) for p in loaded],
          empty="(no plugins loaded)")
    if commands:
        heading("Commands")
        table(["Command", "Plugin"], sorted(commands.items()))
    if skipped:
        heading("Skipped")
        table(["Plugin", "Reason"], [(s.name, s.reason) for s in skipped])


@click.command("demo")
@click.option("--reset", is_flag=True, help="Wipe the demo database and seed it afresh.")
@click.option("--open", "open_app", is_flag=True,
              help="Open the full-screen desk on a fresh demo database (wiped and seeded), with Stripe and "
                   "PayPal played by local emulators (what `make demo` runs).")
@global_option("db_url")
@global_option("as_login")
@json_option
def demo(reset, open_app, as_json):
    """Seed a demo database with the seed guide's world and show what it holds (safe to run twice).

    The database is --db, else demo.db in the user data dir: $SMARTPAY_DB is ignored on purpose,
    so a real desk never receives demo accounts. With --open, --as pre-fills the login screen."""
    from smartpay.app import demo as demo_world
    # Only an explicit --db (here or global) is honoured: a SMARTPAY_DB pointing at a real desk
    # must never receive demo accounts.
    url = runtime().db_url or demo_world.default_demo_url()
    if open_app:
        from smartpay.app import demo_app
        from .runtime import FAKE_NOW_ENV, make_clock
        settings = runtime().settings(url)
        # The demo runs at the seed guide's date unless a fixed time is asked for (tests).
        clock = make_clock(settings) if os.environ.get(FAKE_NOW_ENV) else demo_app.demo_clock(settings)
        demo_app.run(settings, clock, login=runtime().as_login)
        return
    core = open_core(schema="upgrade", db_url=url)
    if reset:
        demo_world.reset(core)
    if not demo_world.is_empty(core) and not demo_world.is_demo(core):
        from smartpay.core.errors import ConfigError
        raise ConfigError("db: this database already holds data that is not the demo's; choose another --db")
    seeded = demo_world.seed(core)
    info = demo_world.summary(core)
    if as_json:
        emit_json({"db": _safe_url(url), "seeded": seeded, "password": demo_world.DEMO_PASSWORD, **_asdict(info)})
        return
    say(f"Demo database: {_safe_url(url)}")
    say("Seeded the seed guide's world." if seeded else "Already seeded; nothing changed.")
    heading(f"Demo logins (demo accounts only) — every password is: {demo_world.DEMO_PASSWORD}")
    table(["Login", "Name", "Role", "Parent", "Pay by Installer", "Credits"],
          [(a.login, a.name, a.role, a.parent_login, a.pay_by_installer and grant_label(a.pay_by_installer), a.credits) for a in info.accounts])
    heading("Projects")
    table(["ID", "Site", "Type", "Installer", "Created", "Pay By PM", "Managers", "Items"],
          [(p.project.id, p.project.name, p.project.type.label, p.project.installer_login,
            core.ptime.format(p.project.created_at), grant_label(p.project.pay_by_pm), ", ".join(p.project.managers),
            len(p.items)) for p in info.projects])
    heading("Items")
    table(["ID", "Site", "Company", "Service Type", "Name", "Status", "Expiration Time"],
          [(i.id, i.site, i.company, i.service_label, i.subject_name, i.status.value, core.ptime.format(i.expires_at))
           for p in info.projects for i in p.items])
    heading("Coupons")
    table(["Code", "Owner", "Value", "Remaining", "Expires"],
          [(c.code, c.owner_login, c.face_value.format(), c.remaining.format(), core.ptime.format(c.expires_at))
           for c in info.coupons])
    heading("Try")
    # Always name the database: without --db the commands would open the desk's own database.
    db_opt = f" --db {shlex.quote(_safe_url(url))}"
    import datetime as dt
    renew_to = core.ptime.local_date(core.clock.now()) + dt.timedelta(days=20)
    login = f"SMARTPAY_PASSWORD={demo_world.DEMO_PASSWORD} smartpay{db_opt}"
    fields([("Renew quote", f"{login} --as aktest quote renew --type commercial --installer inst_credit "
                            f"--project 'New Commercial' --renew-to {renew_to} --pay-in credit"),
            ("Your sites", f"{login} --as inst_regular projects"),
            ("Plugins", "smartpay plugins")])


def _asdict(info) -> dict:
    return {"accounts": info.accounts, "projects": info.projects, "coupons": info.coupons}


def _safe_url(url: str) -> str:
    """The URL without a password, fit to print."""
    from urllib.parse import urlparse
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url
