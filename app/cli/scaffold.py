"""`smartpay plugin new NAME`: scaffold a plugin distribution (datasette's and llm's templates, for
smartpay). The templates are package data (templates/offline/*.tmpl) filled with string.Template,
so the generated code may use braces freely; what comes out installs with pip and passes its own
tests as generated (tests/test_plugin_scaffold.py proves it)."""
from __future__ import annotations

import re
from pathlib import Path

import click

from .output import say
from .runtime import Failure

NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
KINDS = ("offline",)
# template (under templates/<kind>/) -> file written (under the new folder); {module} is the module
FILES = {"pyproject.toml.tmpl": "pyproject.toml", "README.md.tmpl": "README.md",
         "method.py.tmpl": "{module}.py", "tests/test_contract.py.tmpl": "tests/test_contract.py"}


def names(name: str) -> dict[str, str]:
    """What the templates say: `cash_office` -> module smartpay_cash_office, distribution
    smartpay-cash-office, class CashOffice, label "Cash office"."""
    return {"name": name, "module": f"smartpay_{name}", "dist": f"smartpay-{name.replace('_', '-')}",
            "class_name": "".join(part.capitalize() for part in name.split("_") if part),
            "label": name.replace("_", " ").strip().capitalize()}


def render(kind: str, name: str) -> dict[str, str]:
    """{relative path: text} of the distribution for `name`."""
    from importlib.resources import files
    from string import Template
    folder = files("smartpay.app.cli").joinpath("templates", kind)
    values = names(name)
    out = {}
    for template, target in FILES.items():
        text = folder.joinpath(*template.split("/")).read_text(encoding="utf-8")
        out[target.format(**values)] = Template(text).substitute(values)
    return out


@click.group("plugin")
def plugin_group():
    """Write payment plugins (see docs/plugins.md)."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="The folder to create (default: ./smartpay-NAME); it must not exist.")
@click.option("--kind", type=click.Choice(KINDS), default="offline", show_default=True,
              help="offline: a method a platform operator settles (cash at the office, bank transfer).")
def new(name, folder, kind):
    """Create a plugin distribution NAME (the method key and plugin name, e.g. cash_office): its
    pyproject.toml with the `smartpay` entry point, the method, a conformance-kit test and a README."""
    if not NAME.match(name):
        raise Failure(f"NAME: {name!r} must be 2-40 lowercase letters, digits or underscores, starting with a "
                      f"letter (e.g. cash_office)")
    folder = folder or Path(f"smartpay-{name}")
    if folder.exists():
        raise Failure(f"--dir: {folder} already exists; choose another --dir")
    files = render(kind, name)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    say(f"Created {folder}/ ({kind} method '{name}'):")
    for relative in files:
        say(f"  {relative}")
    say(f"Next: pip install ./{folder} && (cd {folder} && python -m pytest) && smartpay plugins")
