"""No module of core/ or plugins/ calls another module's private names (issue 13): the payment
path and the plugin host are used through their public API only. A private name is one with a
leading underscore; a module may use its own (`self._x`, `cls._x`, `super()._x`) and peewee's
`Model._meta`, namedtuple's `_replace`/`_asdict`/`_fields`."""
from __future__ import annotations

import ast
from pathlib import Path

import smartpay.core
import smartpay.plugins

ALLOWED = {"_meta", "_replace", "_asdict", "_fields", "_make"}


def private_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            own = (isinstance(owner, ast.Name) and owner.id in ("self", "cls")) or (
                isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super")
            if not own and node.attr not in ALLOWED:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            found += [f"{node.lineno}: from {'.' * node.level}{node.module or ''} import {alias.name}"
                      for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_the_check_sees_a_cross_module_private_call():
    source = "def f(payments, self):\n    payments._settle(1)\n    self._own()\n    super()._x()\n"
    assert private_uses(source) == ["2: payments._settle"]
    assert private_uses("from .recording import _apply\n") == ["1: from .recording import _apply"]


def test_no_module_of_core_or_plugins_calls_another_modules_private_names():
    roots = [Path(smartpay.core.__file__).parent, Path(smartpay.plugins.__path__[0])]
    offenders = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            uses = private_uses(path.read_text())
            if uses:
                offenders[f"{root.name}/{path.relative_to(root)}"] = uses
    assert offenders == {}
