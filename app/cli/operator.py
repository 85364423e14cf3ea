"""Operator commands about people and sites: grants (R2), billing information (R10), and the
Users / projects / items listings — each limited by the core to what the actor may see."""
from __future__ import annotations

import click

from .output import emit_json, fields, grant_label, say, table
from .runtime import as_option, json_option, session
from .selection import resolve_project


@click.group("grant")
def grant_group():
    """Set "Pay by Installer" (distributors) or "Pay By PM" (installers)."""


@grant_group.command("installer")
@as_option
@click.option("--installer", required=True, metavar="L")
@click.option("--grant", "grant", required=True, metavar="G", help="none, regular or credit.")
@json_option
def grant_installer(as_login, installer, grant, as_json):
    """Set an installer's "Pay by Installer"."""
    core, actor = session(as_login)
    view = core.grants.set_pay_by_installer(actor, installer, grant)
    if as_json:
        emit_json(view)
    else:
        say(f"Pay by Installer for {view.login}: {view.pay_by_installer.label}")


@grant_group.command("pm")
@as_option
@click.option("--project", required=True, metavar="P", help="Site ID or name.")
@click.option("--grant", "grant", required=True, metavar="G", help="none, regular or credit.")
@json_option
def grant_pm(as_login, project, grant, as_json):
    """Set a project's "Pay By PM"."""
    core, actor = session(as_login)
    view = core.grants.set_pay_by_pm(actor, resolve_project(core, actor, project), grant)
    if as_json:
        emit_json(view)
    else:
        say(f"Pay By PM for '{view.name}' ({view.id}): {grant_label(view.pay_by_pm)}")


@click.group("billing")
def billing_group():
    """Billing information (required before paying)."""


@billing_group.command("show")
@as_option
@json_option
def billing_show(as_login, as_json):
    """Show your billing information."""
    core, actor = session(as_login)
    info = core.billing.get(actor)
    if as_json:
        emit_json(info)
    elif info is None:
        say("no billing information yet; set it with `smartpay billing set`")
    else:
        print_billing(info)


@billing_group.command("set")
@as_option
@click.option("--company", required=True, help="Company/Family.")
@click.option("--attn", required=True, help="ATTN.")
@click.option("--address", required=True)
@click.option("--tel", required=True)
@click.option("--fax", default="")
@json_option
def billing_set(as_login, company, attn, address, tel, fax, as_json):
    """Save your billing information."""
    core, actor = session(as_login)
    info = core.billing.save(actor, company, attn, address, tel, fax)
    if as_json:
        emit_json(info)
    else:
        print_billing(info)


def print_billing(info) -> None:
    fields([("Company/Family", info.company), ("ATTN", info.attn), ("Address", info.address),
            ("TEL", info.tel), ("Fax", info.fax)])


@click.command("users")
@as_option
@click.option("--search", default="", metavar="S", help="Part of a login or name.")
@click.option("--role", metavar="R")
@json_option
def users(as_login, search, role, as_json):
    """Your downline (distributors)."""
    core, actor = session(as_login)
    rows = core.accounts.users(actor, search=search, role=role)
    if as_json:
        emit_json(rows)
        return
    table(["Login", "Name", "Role", "Parent", "Pay by Installer", "Email"],
          [(u.login, u.name, u.role.label, u.parent_login,
            grant_label(u.pay_by_installer) if u.role == "installer" else None, u.email) for u in rows])


@click.command("projects")
@as_option
@click.option("--type", "type_", metavar="T")
@click.option("--installer", metavar="L")
@json_option
def projects(as_login, type_, installer, as_json):
    """The sites you can see."""
    core, actor = session(as_login)
    rows = core.accounts.projects(actor, installer=installer, type=type_)
    if as_json:
        emit_json(rows)
        return
    table(["ID", "Site", "Type", "Installer", "Created", "Pay By PM", "Items", "Active", "Managers"],
          [(p.id, p.name, p.type.label, p.installer_login, core.ptime.format(p.created_at), grant_label(p.pay_by_pm),
            p.item_count, p.active_count, ", ".join(p.managers)) for p in rows])


@click.command("items")
@as_option
@click.option("--project", required=True, metavar="P", help="Site ID or name.")
@json_option
def items(as_login, project, as_json):
    """A site's billable items."""
    core, actor = session(as_login)
    rows = core.accounts.items(actor, resolve_project(core, actor, project))
    if as_json:
        emit_json(rows)
        return
    table(["ID", "Site", "Company", "Service Type", "Name", "Email", "Status", "Expiration Time"],
          [(i.id, i.site, i.company, i.service_label, i.subject_name, i.subject_email, i.status.value,
            core.ptime.format(i.expires_at)) for i in rows])
