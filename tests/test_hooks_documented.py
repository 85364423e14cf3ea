"""datasette's rule: every hook has a docstring, a section in docs/plugins.md with its signature,
and a test of its own (a test named after it in tests/test_plugin_discovery.py)."""
from __future__ import annotations

import ast
import inspect
import types
from pathlib import Path

import pluggy

from smartpay.core.plugin_host import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
HOOK_TESTS = ROOT / "tests" / "test_plugin_discovery.py"


def hooks_of(module) -> dict[str, object]:
    return {name: f for name, f in vars(module).items()
            if callable(f) and hasattr(f, f"{hookspecs.PROJECT}_spec")}


def signature_text(name: str, function) -> str:
    return f"`{name}({', '.join(inspect.signature(function).parameters)})`"


def names_of_tests(test_source: str) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(test_source))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def problems(module, docs: str, tests: str) -> list[str]:
    """Everything wrong with how `module`'s hooks are documented and tested."""
    found = []
    names = names_of_tests(tests)
    for name, function in sorted(hooks_of(module).items()):
        if not (function.__doc__ or "").strip():
            found.append(f"{name}: no docstring in hookspecs.py")
        heading = f"### {signature_text(name, function)}"
        if heading not in docs.splitlines():
            found.append(f"{name}: docs/plugins.md has no section '{heading}'")
        if not any(name in test for test in names):
            found.append(f"{name}: no test named after it in {HOOK_TESTS.name}")
    return found


def test_there_are_hooks_and_pluggy_accepts_them():
    hooks = hooks_of(hookspecs)
    assert {"register_payment_methods", "veto_payment_method", "order_completed"} <= set(hooks)
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    assert set(hooks) == {name for name in dir(pm.hook) if not name.startswith("_")}


def test_every_hook_has_a_docstring_a_documented_signature_and_a_test():
    assert problems(hookspecs, DOCS.read_text(encoding="utf-8"), HOOK_TESTS.read_text(encoding="utf-8")) == []


def test_the_check_catches_an_undocumented_untested_hook():
    spec = pluggy.HookspecMarker(hookspecs.PROJECT)
    fake = types.ModuleType("fake_hookspecs")

    @spec
    def refund_issued(refund):
        pass

    fake.refund_issued = refund_issued
    found = problems(fake, DOCS.read_text(encoding="utf-8"), HOOK_TESTS.read_text(encoding="utf-8"))
    assert found == ["refund_issued: no docstring in hookspecs.py",
                     "refund_issued: docs/plugins.md has no section '### `refund_issued(refund)`'",
                     f"refund_issued: no test named after it in {HOOK_TESTS.name}"]
