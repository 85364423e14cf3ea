"""`smartpay db upgrade` and `smartpay admin …`: for whoever holds the database (no login).
These build the world — accounts, projects, billable items — and sell coupons and credits
outside the desk. Every command goes through the core's services, which validate each field."""
from __future__ import annotations

import click

from .output import emit_json, fields, say
from .runtime import json_option, open_core, read_secret_line


@click.group("db")
def db_group():
    """Database maintenance."""


@db_group.command("upgrade")
def db_upgrade():
    """Apply pending schema migrations (safe to run again)."""
    core = open_core(schema="none")
    applied = core.upgrade()
    if applied:
        say("applied migration(s): " + ", ".join(str(v) for v in applied))
    else:
        say("database schema is up to date")


@click.group("admin")
def admin_group():
    """Build the world: accounts, projects, items, coupons, offline credit sales (no login)."""


@admin_group.command("create-account")
@click.option("--role", required=True, help="platform, distributor, sub_distributor, installer or property_manager.")
@click.option("--login", "login_", required=True, metavar="L")
@click.option("--name", required=True)
@click.option("--parent", metavar="L", help="Login of the account directly above.")
@click.option("--email")
@json_option
def create_account(role, login_, name, parent, email, as_json):
    """Create an operator account; the password is read from stdin (one line)."""
    core = open_core()
    password = read_secret_line(f"Password for {login_}")
    view = core.accounts.create_account(role, login_, name, password, parent=parent, email=email)
    if as_json:
        emit_json(view)
    else:
        say(f"created {view.role.label} {view.login} (id {view.id})"
                   + (f" below {view.parent_login}" if view.parent_login else ""))


@admin_group.command("create-project")
@click.option("--installer", required=True, metavar="L", help="Login of the owning installer.")
@click.option("--type", "type_", required=True, help="community, single_family or commercial.")
@click.option("--name", required=True)
@click.option("--created-at", metavar="ISO", help="When the project was created (platform time unless an offset is given).")
@json_option
def create_project(installer, type_, name, created_at, as_json):
    """Create a project (a "site") owned by an installer."""
    core = open_core()
    view = core.accounts.create_project(installer, type_, name, created_at)
    if as_json:
        emit_json(view)
    else:
        say(f"created {view.type.label} project {view.id} '{view.name}' for {view.installer_login}, "
                   f"created {core.ptime.format(view.created_at)}")


@admin_group.command("add-item")
@click.option("--project", required=True, metavar="ID")
@click.option("--service", required=True, help="Service type key, e.g. door, personnel_app, app.")
@click.option("--subject", required=True, metavar="NAME", help="Who or what the item is for.")
@click.option("--email")
@click.option("--company")
@click.option("--expires", metavar="DATE", help="Current expiry (a bare date means 23:59:59 platform time); "
                                               "leave out for a never-activated item.")
@json_option
def add_item(project, service, subject, email, company, expires, as_json):
    """Add a billable item to a project."""
    core = open_core()
    view = core.accounts.add_item(project, service, subject, email=email, company=company, expires=expires)
    if as_json:
        emit_json(view)
    else:
        say(f"added item {view.id}: {view.service_label} '{view.subject_name}' to '{view.site}' "
                   f"({view.status.value}, expires {core.ptime.format(view.expires_at)})")


@admin_group.command("assign-manager")
@click.option("--project", required=True, metavar="ID")
@click.option("--manager", required=True, metavar="L", help="Login of a property manager of the project's installer.")
def assign_manager(project, manager):
    """Make a property manager manage a project."""
    core = open_core()
    core.accounts.assign_manager(project, manager)
    say(f"{manager} now manages project {project}")


@admin_group.command("issue-coupon")
@click.option("--owner", required=True, metavar="L")
@click.option("--value", required=True, metavar="AMOUNT", help="Face value, e.g. 50.00.")
@click.option("--currency", required=True, metavar="CODE")
@click.option("--expires", metavar="DATE")
@json_option
def issue_coupon(owner, value, currency, expires, as_json):
    """Sell a coupon to an account (prints its code)."""
    core = open_core()
    view = core.coupons.issue(owner, value, currency, expires)
    if as_json:
        emit_json(view)
    else:
        fields([("Code", view.code), ("Owner", view.owner_login), ("Value", view.face_value.format()),
                ("Expires", core.ptime.format(view.expires_at))])


@admin_group.command("add-credits")
@click.option("--to", "to", required=True, metavar="L")
@click.option("--amount", required=True, metavar="N")
@click.option("--reference", required=True, metavar="TEXT", help="The offline sale's reference (invoice number…).")
def add_credits(to, amount, reference):
    """Record credits sold outside smartpay (a ledger `purchase` entry)."""
    core = open_core()
    after = core.credits.add_offline(to, amount, reference)
    say(f"added {amount} credits to {to}; balance {after}")
