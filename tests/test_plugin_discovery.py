"""The plugin host: discovery through the `smartpay` entry-point group (built-ins and an outsider's
distribution installed for real), lazy loading, and what it does with plugins that misbehave.
Each hook has its own test here: register_payment_methods, veto_payment_method, order_completed."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path

import pytest

from smartpay.core import hookimpl
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.domain import Grant, OrderState
from smartpay.core.errors import NotEligible, OrderStateError
from smartpay.core.plugin_host import ChargeResult, ChargeStatus, PaymentMethod, PluginHost
from smartpay.core.services.quotes import Selection

from plugin_venv import throwaway_venv
from support import CHEAP_PASSWORDS, billing, build_world
from test_plugin_conformance import load_example

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "invoice_pay"
BUILT_INS = {"coupon_pay": "coupon", "credit_pay": "credit", "stripe_pay": "stripe", "paypal_pay": "paypal"}


def installed() -> tuple[set[str], set[str]]:
    """(plugin names, method keys) this environment loads: the built-ins, plus whatever else a
    developer may have installed here."""
    host = PluginHost(disabled=())
    return {p.name for p in host.plugins()}, {m.key for m in host.methods()}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SMARTPAY_DISABLE_PLUGINS", "PYTHONPATH", "PYTHONHOME", "SMARTPAY_CONFIG")}
    env.update(extra)
    return env


def run_python(python: str | Path, code: str, **env: str) -> dict:
    done = subprocess.run([str(python), "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=clean_env(**env), timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


HOST_REPORT = """
    import json, sys
    from smartpay.core.plugin_host import PluginHost
    host = PluginHost()
    print(json.dumps({
        "methods": {m.key: m.describe() for m in host.methods()},
        "plugins": {p.name: {"version": p.version, "module": p.module, "hooks": list(p.hooks),
                             "methods": list(p.methods)} for p in host.plugins()},
        "skipped": {s.name: s.reason for s in host.skipped()},
        "imported": sorted(m for m in sys.modules if m.startswith("smartpay.plugins.") or m == "smartpay_invoice_pay"),
    }))
"""


# -- discovery through entry points ---------------------------------------------------------------
def test_built_ins_are_declared_in_the_entry_point_group_and_load_through_it():
    declared = {ep.name: ep.value for ep in entry_points(group="smartpay")}
    assert {name: declared.get(name) for name in BUILT_INS} == {
        name: f"smartpay.plugins.{name}" for name in BUILT_INS}
    report = run_python(sys.executable, HOST_REPORT)
    assert report["skipped"] == {}
    for name, key in BUILT_INS.items():
        assert report["plugins"][name]["methods"] == [key]
        assert report["plugins"][name]["module"] == f"smartpay.plugins.{name}"
        assert report["plugins"][name]["version"] == distribution("smartpay").version
        assert "register_payment_methods" in report["plugins"][name]["hooks"]
    assert set(BUILT_INS.values()) <= set(report["methods"])


def _installed_here(name: str) -> str | None:
    try:
        return str(distribution(name).locate_file(""))
    except PackageNotFoundError:
        return None


@pytest.mark.slow
def test_an_outsiders_plugin_installed_with_pip_is_discovered_through_its_entry_point(tmp_path):
    pytest.importorskip("setuptools")  # --no-build-isolation builds with this environment's setuptools
    before = _installed_here("smartpay-invoice-pay")
    source = tmp_path / "invoice_pay"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    python = throwaway_venv(tmp_path)
    pip = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                          "--no-cache-dir", "--disable-pip-version-check", "--root-user-action=ignore",
                          "--quiet", str(source)], capture_output=True, text=True, env=clean_env(), timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    report = run_python(python, HOST_REPORT)
    assert report["skipped"] == {}
    plugin = report["plugins"]["invoice_pay"]
    assert plugin["version"] == "0.1.0" and plugin["module"] == "smartpay_invoice_pay"
    assert plugin["hooks"] == ["register_payment_methods", "veto_payment_method"]
    assert plugin["methods"] == ["invoice"]
    assert report["methods"]["invoice"]["label"] == "Invoice (on account)"
    assert report["methods"]["invoice"]["settles_in_core"] is True
    assert set(BUILT_INS.values()) | {"invoice"} <= set(report["methods"])

    # The outsider is disabled by name like any plugin, and then not even imported.
    disabled = run_python(python, HOST_REPORT, SMARTPAY_DISABLE_PLUGINS="invoice_pay,paypal_pay")
    assert "invoice" not in disabled["methods"] and "paypal" not in disabled["methods"]
    assert "smartpay_invoice_pay" not in disabled["imported"]
    assert disabled["skipped"]["invoice_pay"] == "disabled by SMARTPAY_DISABLE_PLUGINS"

    # The suite's own environment is untouched.
    assert _installed_here("smartpay-invoice-pay") == before


def test_loading_is_lazy_nothing_is_imported_until_methods_are_needed(db_url):
    report = run_python(sys.executable, f"""
        import json, sys
        from smartpay.core.config import Settings
        from smartpay.core.context import Smartpay
        from smartpay.core.plugin_host import PluginHost
        def plugin_modules():
            return sorted(m for m in sys.modules if m.startswith("smartpay.plugins"))
        core = Smartpay(Settings(db_url={db_url!r}))
        host = PluginHost()
        before = plugin_modules()
        keys = sorted(m.key for m in core.plugins.methods())
        after = plugin_modules()
        core.close()
        print(json.dumps({{"before": before, "after": after, "keys": keys}}))
    """)
    assert report["before"] == []
    assert {f"smartpay.plugins.{name}" for name in BUILT_INS} <= set(report["after"])
    assert report["keys"] == sorted(installed()[1])


# -- plugins that misbehave --------------------------------------------------------------------------
def fake_distribution(folder: Path, dist: str, entry_points_: dict[str, str], modules: dict[str, str]) -> None:
    """A throwaway installed distribution: importlib.metadata finds `*.dist-info` in any sys.path
    folder, so prepending `folder` to sys.path adds its entry points to this process."""
    info = folder / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[smartpay]\n" + "".join(f"{name} = {target}\n" for name, target in entry_points_.items()))
    for module, code in modules.items():
        (folder / f"{module}.py").write_text(textwrap.dedent(code))


def test_a_plugin_that_fails_to_import_is_skipped_and_reported(tmp_path, monkeypatch):
    fake_distribution(tmp_path, "smartpay_broken", {"broken_pay": "smartpay_test_broken_pay"},
                      {"smartpay_test_broken_pay": "import smartpay_no_such_sdk\n"})
    monkeypatch.syspath_prepend(tmp_path)
    assert "broken_pay" in {ep.name for ep in entry_points(group="smartpay")}
    host = PluginHost(disabled=())
    skipped = {s.name: s.reason for s in host.skipped()}
    assert skipped["broken_pay"].startswith("failed to import: ModuleNotFoundError")
    assert "smartpay_no_such_sdk" in skipped["broken_pay"]
    assert "broken_pay" not in {p.name for p in host.plugins()}
    assert {m.key for m in host.methods()} == installed()[1]  # the others still load


def test_an_unknown_hook_name_is_rejected_and_reported(tmp_path, monkeypatch):
    fake_distribution(tmp_path, "smartpay_typo", {"typo_pay": "smartpay_test_typo_pay"}, {
        "smartpay_test_typo_pay": """
            from smartpay.core import hookimpl

            @hookimpl
            def register_payment_method(register):   # missing "s": not a smartpay hook
                raise AssertionError("never called")
        """})
    monkeypatch.syspath_prepend(tmp_path)
    host = PluginHost(disabled=())
    skipped = {s.name: s.reason for s in host.skipped()}
    assert skipped["typo_pay"].startswith("rejected:")
    assert "register_payment_method" in skipped["typo_pay"]
    assert "typo_pay" not in {p.name for p in host.plugins()}
    assert {p.name for p in host.plugins()} == installed()[0] >= set(BUILT_INS)


def test_smartpay_disable_plugins_skips_the_named_plugins(monkeypatch):
    monkeypatch.setenv("SMARTPAY_DISABLE_PLUGINS", "stripe_pay, paypal_pay")
    host = PluginHost()
    assert {m.key for m in host.methods()} == installed()[1] - {"stripe", "paypal"}
    assert {"coupon", "credit"} <= {m.key for m in host.methods()}
    assert {s.name: s.reason for s in host.skipped()} == {
        "stripe_pay": "disabled by SMARTPAY_DISABLE_PLUGINS", "paypal_pay": "disabled by SMARTPAY_DISABLE_PLUGINS"}
    monkeypatch.setenv("SMARTPAY_DISABLE_PLUGINS", "")
    assert {m.key for m in PluginHost().methods()} == installed()[1] >= set(BUILT_INS.values())


class _Method(PaymentMethod):
    key = "dummy"
    label = "Dummy"
    family = Grant.REGULAR

    def charge(self, request):
        return ChargeResult(ChargeStatus.ERROR, message="dummy")


class _Registers:
    def __init__(self, *methods, fail: Exception | None = None):
        self.methods, self.fail, self.vetoed = methods, fail, []

    @hookimpl
    def register_payment_methods(self, register):
        for m in self.methods:
            register(m)
        if self.fail:
            raise self.fail

    @hookimpl
    def veto_payment_method(self, method, context):
        self.vetoed.append(method.key)


def test_register_payment_methods_that_raises_is_skipped_with_its_hooks():
    failing = _Registers(_Method(), fail=RuntimeError("no licence file"))
    host = PluginHost(disabled=(), extra_plugins=[("failing_pay", failing), ("good_pay", _Registers())])
    assert {s.name: s.reason for s in host.skipped()} == {
        "failing_pay": "register_payment_methods failed: RuntimeError: no licence file"}
    assert "dummy" not in {m.key for m in host.methods()}  # nothing it registered before failing
    names = {p.name for p in host.plugins()}
    assert "failing_pay" not in names and "good_pay" in names
    host.vetoes(host.method("coupon"), None)
    assert failing.vetoed == []  # unregistered: its other hooks are not called either


def test_register_payment_methods_registers_each_method_with_its_plugin():
    plugin = _Registers(_Method())
    host = PluginHost(disabled=(), extra_plugins=[("dummy_pay", plugin)])
    assert host.method("dummy").label == "Dummy" and host.plugin_of("dummy") == "dummy_pay"
    info = {p.name: p for p in host.plugins()}["dummy_pay"]
    assert info.methods == ("dummy",)
    assert info.hooks == ("register_payment_methods", "veto_payment_method")


def test_a_duplicate_method_key_is_reported_and_the_first_kept():
    clash = type("Clash", (_Method,), {"key": "coupon", "label": "Another Coupon"})()
    host = PluginHost(disabled=(), extra_plugins=[("clash_pay", _Registers(clash))])
    assert {s.name: s.reason for s in host.skipped()} == {
        "clash_pay": "method key 'coupon' is already registered by coupon_pay"}
    assert host.method("coupon").label == "Coupon"
    assert [m.key for m in host.methods()].count("coupon") == 1


# -- the hooks through the core -----------------------------------------------------------------------
class _VetoCredit:
    """Vetoes credits for distributors once switched on (after the order is placed: placing a
    credit order checks the credit method too, and the veto would stop it there)."""

    active = False

    @hookimpl
    def veto_payment_method(self, method, context):
        if self.active and method.key == "credit" and context.role.is_distributor:
            return "Credit payments are paused for the year-end audit"
        return None


class _Notices:
    def __init__(self, fail: bool = False):
        self.completed, self.fail = [], fail

    @hookimpl
    def order_completed(self, order):
        self.completed.append((order.txn, order.state))
        if self.fail:
            raise RuntimeError("mail server down")


@pytest.fixture
def open_core(db_url, clock):
    opened = []

    def open_(*plugins, config: dict | None = None) -> Smartpay:
        settings = Settings(db_url=db_url, plugins=config or {})
        host = PluginHost(config=settings.plugin_config, disabled=(),
                          extra_plugins=[(f"test_plugin_{i}", p) for i, p in enumerate(plugins)])
        core = Smartpay.open(settings, clock, upgrade=True, plugins=host, passwords=CHEAP_PASSWORDS)
        opened.append(core)
        return core

    yield open_
    for core in opened:
        core.close()


def credit_order(core, world):
    ak = core.auth.actor("aktest")
    core.credits.add_offline("aktest", 100, "offline sale")
    billing(core, ak)
    order = core.orders.create(ak, "renewal", Selection("commercial", installer="inst_credit",
                                                        project_ids=(world.new_commercial.id,)),
                               accept_terms=True, pay_in="credit", renew_mode="manual", renew_to="2025-09-30")
    return ak, order


def money_order(core, world, login="aktest"):
    actor = core.auth.actor(login)
    billing(core, actor)
    order = core.orders.create(actor, "renewal", Selection("community", installer="inst_regular" if login == "aktest"
                                                           else None, project_ids=(world.community.id,)),
                               accept_terms=True, renew_mode="manual", renew_to="2025-10-30")
    return actor, order


def test_veto_payment_method_greys_a_method_out_with_its_reason(open_core):
    veto = _VetoCredit()
    core = open_core(veto)
    world = build_world(core)
    ak, order = credit_order(core, world)
    assert {o.key: o for o in core.payments.options(ak, order.txn)}["credit"].eligible
    veto.active = True
    options = {o.key: o for o in core.payments.options(ak, order.txn)}
    assert not options["credit"].eligible
    assert options["credit"].reason == "Credit payments are paused for the year-end audit"
    with pytest.raises(NotEligible, match="paused for the year-end audit"):
        core.payments.pay(ak, order.txn, "credit")
    assert core.credits.balance(ak.id) == 100 == core.credits.ledger_sum(ak.id)
    assert core.orders.get(ak, order.txn).state == OrderState.PROCESSING


def test_order_completed_is_called_once_after_a_payment_completes(open_core):
    notices = _Notices()
    core = open_core(notices)
    world = build_world(core)
    ak, order = credit_order(core, world)
    assert notices.completed == []
    outcome = core.payments.pay(ak, order.txn, "credit")
    assert outcome.order.state == OrderState.SUCCEEDED
    assert notices.completed == [(order.txn, OrderState.SUCCEEDED)]
    with pytest.raises(OrderStateError):
        core.payments.pay(ak, order.txn, "credit")
    assert len(notices.completed) == 1


def test_order_completed_is_not_called_when_a_payment_is_refused(open_core):
    notices = _Notices()
    veto = _VetoCredit()
    core = open_core(notices, veto)
    world = build_world(core)
    ak, order = credit_order(core, world)
    veto.active = True
    with pytest.raises(NotEligible):
        core.payments.pay(ak, order.txn, "credit")
    assert notices.completed == []


def test_a_failing_order_completed_hook_does_not_undo_the_payment(open_core):
    notices = _Notices(fail=True)
    core = open_core(notices)
    world = build_world(core)
    ak, order = credit_order(core, world)
    assert core.payments.pay(ak, order.txn, "credit").order.state == OrderState.SUCCEEDED
    assert core.orders.get(ak, order.txn).state == OrderState.SUCCEEDED
    assert len(notices.completed) == 1


# -- the example plugin inside the real core ----------------------------------------------------------
def test_the_example_invoice_method_pays_a_distributors_order_on_account(open_core):
    invoice_pay = load_example()
    notices = _Notices()
    core = open_core(invoice_pay, notices)
    world = build_world(core)
    ak, order = money_order(core, world)
    options = {o.key: o for o in core.payments.options(ak, order.txn)}
    assert options["invoice"].eligible and options["invoice"].label == "Invoice (on account)"
    outcome = core.payments.pay(ak, order.txn, "invoice")
    assert outcome.order.state == OrderState.SUCCEEDED
    (attempt,) = outcome.order.attempts
    assert attempt.method == "invoice" and attempt.provider_ref == f"INV-{order.txn}"
    assert attempt.detail["idempotency_key"] == attempt.idempotency_key == f"{order.txn}-01"  # an object
    assert notices.completed == [(order.txn, OrderState.SUCCEEDED)]


def test_the_example_invoice_method_is_greyed_out_for_installers(open_core):
    core = open_core(load_example())
    world = build_world(core)
    inst, order = money_order(core, world, "inst_regular")
    options = {o.key: o for o in core.payments.options(inst, order.txn)}
    assert not options["invoice"].eligible
    assert options["invoice"].reason == "Invoicing is available to distributors only"


def test_the_example_veto_applies_only_when_configured(open_core):
    core = open_core(load_example(), config={"invoice_pay": {"veto": ["coupon"],
                                                             "veto_reason": "Distributors pay on account"}})
    world = build_world(core)
    core.coupons.issue("aktest", "50.00", "USD")
    ak, order = money_order(core, world)
    options = {o.key: o for o in core.payments.options(ak, order.txn)}
    assert not options["coupon"].eligible and options["coupon"].reason == "Distributors pay on account"
    assert options["invoice"].eligible


# -- the plugin API version (smartpay.core.plugin_api.API_VERSION) ---------------------------------
class _Versioned:
    def __init__(self, version):
        self.SMARTPAY_API_VERSION = version

    @hookimpl
    def register_payment_methods(self, register):
        register(_Method())


def test_a_plugin_written_for_a_newer_major_api_is_skipped_with_the_reason():
    from smartpay.core.plugin_api import API_VERSION
    assert API_VERSION == "1.0"
    host = PluginHost(load_entry_points=False, disabled=(), extra_plugins=[("future_pay", _Versioned("2.0"))])
    [skipped] = host.skipped()
    assert skipped.name == "future_pay" and "written for plugin API 2.0" in skipped.reason
    assert "provides 1.0" in skipped.reason and host.methods() == []
    # a newer minor version (additions only) and the current one load
    for version in ("1.0", "1.7"):
        host = PluginHost(load_entry_points=False, disabled=(), extra_plugins=[("now_pay", _Versioned(version))])
        assert host.skipped() == [] and [m.key for m in host.methods()] == ["dummy"]
    bad = PluginHost(load_entry_points=False, disabled=(), extra_plugins=[("odd_pay", _Versioned("one"))])
    assert "not a version" in bad.skipped()[0].reason


def test_a_deliberately_disabled_plugin_is_silent_unless_asked(monkeypatch, caplog):
    monkeypatch.setenv("SMARTPAY_DISABLE_PLUGINS", "paypal_pay")
    with caplog.at_level(logging.WARNING, logger="smartpay.plugins"):
        host = PluginHost()
        assert "paypal" not in {m.key for m in host.methods()}
    assert caplog.records == []                                  # nothing logged at warning level
    assert {s.name: s.reason for s in host.skipped()}["paypal_pay"] == "disabled by SMARTPAY_DISABLE_PLUGINS"
    with caplog.at_level(logging.DEBUG, logger="smartpay.plugins"):   # asked for: debug level
        PluginHost().methods()
    assert any("paypal_pay skipped" in r.getMessage() for r in caplog.records)


def test_payment_method_is_abstract_charge_is_required():
    class NoCharge(PaymentMethod):
        key, label = "nocharge", "No Charge"

    with pytest.raises(TypeError, match="charge"):
        NoCharge()


def test_the_example_plugin_imports_only_the_plugin_api():
    source = (EXAMPLE / "smartpay_invoice_pay" / "__init__.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("from smartpay", "import smartpay"))]
    assert imports and all(line.startswith("from smartpay.core.plugin_api import") for line in imports), imports


def test_coupons_are_recognised_by_their_own_capability_not_by_partial_tender(open_core):
    from smartpay.core.payments.eligibility import PaymentMethods

    class PartialGiftCard(_Method):
        key, label, partial_tender = "giftcard", "Gift Card", True

    core = open_core(_Registers(PartialGiftCard()))
    methods = PaymentMethods(core.plugins)
    assert methods.coupons().key == "coupon"      # the coupon plugin declares redeems_coupons
    assert methods.get("giftcard").redeems_coupons is False


# -- register_commands ------------------------------------------------------------------------------
COMMANDS_PLUGIN = """
    import click
    from smartpay.core.plugin_api import hookimpl

    @hookimpl
    def register_commands(cli):
        @cli.command("hello-office")
        @click.option("--name", default="world")
        def hello(name):
            '''Say hello (a plugin's own command).'''
            click.echo(f"hello {name} from the office plugin")

        @cli.command("explode")
        def explode():
            '''A plugin command with a bug.'''
            raise RuntimeError("boom sk_live_secret")

        @cli.command("plugins")
        def shadow():
            '''Tries to replace a built-in command: refused.'''
            click.echo("shadowed!")
"""


def test_register_commands_adds_a_plugins_own_commands_lazily_and_lists_them(tmp_path):
    fake_distribution(tmp_path, "smartpay_office_cmds", {"office_cmds": "smartpay_test_office_cmds"},
                      {"smartpay_test_office_cmds": COMMANDS_PLUGIN})
    smartpay = str(Path(sys.executable).with_name("smartpay"))
    env = clean_env(PYTHONPATH=str(tmp_path), SMARTPAY_LOG=str(tmp_path / "smartpay.log"),
                    SMARTPAY_DB=f"sqlite:///{tmp_path / 'x.db'}")

    def run(*args):
        return subprocess.run([smartpay, *args], capture_output=True, text=True, env=env, timeout=120)

    hello = run("hello-office", "--name", "Ann")
    assert hello.returncode == 0 and hello.stdout.strip() == "hello Ann from the office plugin", hello.stderr
    listed = json.loads(run("plugins", "--json").stdout)           # still the desk's own `plugins`
    assert {"name": "hello-office", "plugin": "office_cmds"} in listed["commands"]
    assert "plugins" not in {c["name"] for c in listed["commands"]}
    [office] = [p for p in listed["plugins"] if p["name"] == "office_cmds"]
    assert office["hooks"] == ["register_commands"]
    boom = run("explode")                                           # M8: one line, no traceback, logged
    assert boom.returncode == 1 and boom.stderr.strip() == ("error: plugin error (office_cmds): the command "
                                                            "failed (RuntimeError); details are in the log")
    assert "sk_live_secret" in (tmp_path / "smartpay.log").read_text()
    # --help does not load plugins (start-up stays fast): it lists the desk's commands only
    assert "hello-office" not in run("--help").stdout
