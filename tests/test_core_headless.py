"""The core runs without a screen (harlequin's rule): importing every core module and every
built-in plugin in a fresh interpreter imports neither textual nor the payment SDKs (they load
only when a gateway is actually used), nor pytest (the conformance kit is for tests only)."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

FORBIDDEN = ("textual", "stripe", "paypalserversdk", "pytest", "smartpay.tui", "smartpay.app", "smartpay.emulators",
             "smartpay.core.testing")

PROBE = """
    import importlib, json, pkgutil, sys

    def walk(package, skip=()):
        names = [package]
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(getattr(module, "__path__", []), package + "."):
            if not any(info.name == s or info.name.startswith(s + ".") for s in skip):
                names.append(info.name)
        return names

    imported = []
    for package, skip in {targets!r}:
        for name in walk(package, skip):
            importlib.import_module(name)
            imported.append(name)
    if {load_methods!r}:
        from smartpay.core.plugin_host import PluginHost
        host = PluginHost(disabled=())
        methods = [m.key for m in host.methods()]
        verdicts = [m.configured().eligible for m in host.methods()]
    loaded = sorted(m for m in sys.modules
                    if any(m == f or m.startswith(f + ".") for f in {forbidden!r}))
    print(json.dumps({{"imported": imported, "loaded": loaded}}))
"""


def probe(targets, load_methods=False) -> dict:
    code = textwrap.dedent(PROBE.format(targets=targets, load_methods=load_methods, forbidden=FORBIDDEN))
    env = {k: v for k, v in os.environ.items() if k not in ("SMARTPAY_DISABLE_PLUGINS", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["textual", "stripe", "paypalserversdk", "pytest"])
def test_the_forbidden_packages_are_installed_so_their_absence_means_something(name):
    assert importlib.util.find_spec(name) is not None


def test_core_services_and_plugins_import_without_ui_sdks_or_pytest():
    report = probe([("smartpay.core", ("smartpay.core.testing",)),
                    ("smartpay.plugins", ())], load_methods=True)
    imported = set(report["imported"])
    assert {"smartpay.core", "smartpay.core.context", "smartpay.core.plugin_host.manager"} <= imported
    assert {"smartpay.core.wiring", "smartpay.core.payments.service", "smartpay.core.payments.settlement",
            "smartpay.core.payments.renew_runner", "smartpay.core.services.orders",
            "smartpay.core.services.credits", "smartpay.core.services.coupons"} <= imported
    assert {f"smartpay.plugins.{p}" for p in ("coupon_pay", "credit_pay", "stripe_pay", "paypal_pay")} <= imported
    assert report["loaded"] == []


def test_the_command_line_imports_without_the_ui_or_sdks():
    report = probe([("smartpay.app.cli", ())])
    assert "smartpay.app.cli" in report["imported"]
    assert [m for m in report["loaded"] if not m.startswith("smartpay.app")] == []


def test_the_probe_notices_a_forbidden_import():
    # The same probe over the conformance kit must see pytest: proof the check can fail.
    report = probe([("smartpay.core.testing", ())])
    assert "pytest" in report["loaded"] and "smartpay.core.testing" in report["loaded"]


def _imports_of(path) -> set[str]:
    import ast
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_core_module_imports_the_presentation_or_the_emulators_even_lazily():
    """The probe above imports modules; this reads every file of core/ (the kit included), so an
    import inside a function, which the probe cannot reach, is caught too."""
    from pathlib import Path
    import smartpay.core
    root = Path(smartpay.core.__file__).parent
    above = ("smartpay.tui", "smartpay.app", "smartpay.emulators", "textual")
    offenders = {str(p.relative_to(root)): sorted(n for n in _imports_of(p) if n.startswith(above))
                 for p in sorted(root.rglob("*.py"))}
    assert {p: n for p, n in offenders.items() if n} == {}
    assert len(offenders) > 40  # every core module was read
