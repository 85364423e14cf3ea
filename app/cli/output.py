"""Plain aligned text tables and JSON. No rich: output goes to terminals, pipes and logs alike."""
from __future__ import annotations

import json
from typing import Iterable, Sequence

import click

from smartpay.core.terminal_text import visible


def say(text: object = "", err: bool = False) -> None:
    """Every line the CLI prints goes through here (R14): whatever part of it came from the
    database, control characters and direction overrides show as visible escapes (`\\x1b`),
    so a stored name can neither retitle nor clear the operator's terminal."""
    click.echo(visible(str(text), keep_newlines=True), err=err)


def emit_json(value) -> None:
    from smartpay.core.views import to_jsonable
    # json.dumps escapes C0 itself; C1 and direction overrides would pass raw with ensure_ascii=False.
    click.echo(visible(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, default=str),
                       keep_newlines=True, json=True))  # indent newlines are outside strings


def table(headers: Sequence[str], rows: Iterable[Sequence], empty: str = "(none)") -> None:
    """Columns padded to their widest cell, two spaces apart; the last column is not padded so
    lines carry no trailing blanks."""
    cells = [[_cell(v) for v in row] for row in rows]
    if not cells:
        say(empty)
        return
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()

    say(line(headers))
    say(line(["-" * w for w in widths]))
    for row in cells:
        say(line(row))


def fields(pairs: Iterable[tuple[str, object]], align: bool = True) -> None:
    """'Label: value' lines, values aligned (or not: summary lines read like SmartPlus's own,
    "Number of Renewal Door(s): 0")."""
    pairs = [(k, _cell(v)) for k, v in pairs]
    width = max((len(k) for k, _ in pairs), default=0) if align else 0
    for key, value in pairs:
        say(f"{(key + ':').ljust(width + 1)} {value}".rstrip())


def heading(text: str) -> None:
    say("")
    say(text)


def _cell(value) -> str:
    if value is None or value == "":
        return "--"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return visible(str(value))


def grant_label(value, short: bool = True) -> str:
    """The screen label of a grant, whether a service handed out the enum or its stored value;
    `short` drops the credit label's long footnote so tables stay narrow."""
    from smartpay.core.domain import Grant
    grant = Grant(value)
    return "Credit" if short and grant == Grant.CREDIT else grant.label
