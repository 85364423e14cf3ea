"""Options shared by `quote` and `order create`: what to pay for (project type, installer,
sites, service types, items) and how long to renew. Sites may be named by ID or by name."""
from __future__ import annotations

import click


def selection_options(f):
    options = [
        click.option("--type", "project_type", required=True, metavar="T",
                     help="Project type: community, single_family or commercial."),
        click.option("--installer", metavar="L", help="Distributors: limit to one installer's projects."),
        click.option("--project", "projects", multiple=True, metavar="P",
                     help="Site ID or name (repeatable; none = all sites)."),
        click.option("--service", "services", multiple=True, metavar="S",
                     help="Service type key (repeatable; none = All)."),
        click.option("--item", "items", multiple=True, type=int, metavar="ID", help="Item ID (repeatable)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def renew_options(f):
    options = [
        click.option("--renew-to", metavar="DATE", help="Manual renew: extend every item to this date."),
        click.option("--auto", "auto", is_flag=True, help="Auto renew every 30 days instead."),
        click.option("--cycles", metavar="N", help="Auto renew: how many 30-day cycles."),
        click.option("--until", metavar="DATE", help="Auto renew: last day it lasts."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def resolve_project(core, actor, value: str) -> int:
    """A site given by ID, or by its exact name among the sites the actor can see."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    from smartpay.core.errors import InvalidInput, NotFound
    matches = [p for p in core.accounts.projects(actor) if p.name.casefold() == text.casefold()]
    if not matches:
        raise NotFound(f"project: no site named '{text}' that you can see")
    if len(matches) > 1:
        raise InvalidInput("project", f"'{text}' names several sites ({', '.join(str(p.id) for p in matches)}); "
                                      f"use the ID")
    return matches[0].id


def build_selection(core, actor, project_type, installer, projects, services, items):
    from smartpay.core.services.quotes import Selection
    return Selection(project_type, installer=installer,
                     project_ids=tuple(dict.fromkeys(resolve_project(core, actor, p) for p in projects)),
                     service_types=tuple(services), item_ids=tuple(dict.fromkeys(items)))


def renew_args(renew_to, auto, cycles, until) -> dict:
    """The quote/order keyword arguments for a renewal; mixing manual and auto options is a
    one-line error naming the option, like every other bad input."""
    from smartpay.core.errors import InvalidInput
    if auto:
        if renew_to:
            raise InvalidInput("Renew To", "is for manual renew; with --auto give --cycles or --until")
        return dict(renew_mode="auto", auto_cycles=cycles, auto_until=until)
    if cycles or until:
        raise InvalidInput("Cycles" if cycles else "Until", "applies to auto renew only; add --auto")
    return dict(renew_mode="manual", renew_to=renew_to)
