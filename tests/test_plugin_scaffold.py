"""`smartpay plugin new NAME` (issue 12): the generated distribution installs with pip, passes its
own tests as generated, and `smartpay plugins` lists it — run for real in a throwaway virtual
environment, as datasette's and llm's templates are tested. Bad input is refused with one line
naming the field, and nothing is written."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from smartpay.app.cli.main import cli

from plugin_venv import throwaway_venv

SMARTPAY = str(Path(sys.executable).with_name("smartpay"))


def invoke(*args):
    return CliRunner().invoke(cli, list(args), env={"SMARTPAY_DB": None, "SMARTPAY_CONFIG": None},
                              catch_exceptions=False, prog_name="smartpay")


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMARTPAY_", "PYTHON", "XDG_")) and k != "VIRTUAL_ENV"}
    env.update(HOME=str(tmp_path / "home"), SMARTPAY_LOG=str(tmp_path / "smartpay.log"),
               SMARTPAY_DB=f"sqlite:///{tmp_path / 'unused.db'}")
    return env


def plugin_code_lines(path: Path) -> int:
    """Lines of code: not blank, not a comment, not the module docstring."""
    import ast
    source = path.read_text()
    doc = ast.parse(source).body[0]
    skip = set(range(doc.lineno, doc.end_lineno + 1)) if isinstance(doc, ast.Expr) else set()
    return sum(1 for n, line in enumerate(source.splitlines(), 1)
               if n not in skip and line.strip() and not line.strip().startswith("#"))


@pytest.mark.slow
def test_a_generated_plugin_installs_with_pip_passes_its_own_tests_and_is_listed(tmp_path):
    pytest.importorskip("setuptools")  # --no-build-isolation builds with this environment's setuptools
    env = clean_env(tmp_path)
    (tmp_path / "home").mkdir()
    made = subprocess.run([SMARTPAY, "plugin", "new", "cash_office"], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=60)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "smartpay-cash_office"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "README.md", "pyproject.toml", "smartpay_cash_office.py", "tests/test_contract.py"]
    module = folder / "smartpay_cash_office.py"
    assert len(module.read_text().splitlines()) <= 60            # the "a page of code"
    assert plugin_code_lines(module) <= 45

    python = throwaway_venv(tmp_path)
    pip = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                          "--no-cache-dir", "--disable-pip-version-check", "--root-user-action=ignore", "--quiet",
                          str(folder)], capture_output=True, text=True, env=env, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder,
                           capture_output=True, text=True, env=env, timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout and "error" not in tests.stdout.lower()

    listed = subprocess.run([str(python), "-m", "smartpay.app.cli.main", "plugins", "--json"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    [plugin] = [p for p in report["plugins"] if p["name"] == "cash_office"]
    assert plugin["methods"] == ["cash_office"] and plugin["version"] == "0.1.0"
    assert plugin["module"] == "smartpay_cash_office" and report["skipped"] == []
    # installed for real: importable from anywhere in that environment, not only from its folder
    where = subprocess.run([str(python), "-c", "import smartpay_cash_office as m; print(m.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=60)
    assert where.returncode == 0 and "site-packages" in where.stdout, where.stderr

    # …and it pays for real: offered to a distributor, its instructions shown, settled by an operator.
    desk = dict(env, SMARTPAY_DB=f"sqlite:///{tmp_path / 'demo.db'}", SMARTPAY_FAKE_NOW="2025-09-10T14:00:00",
                SMARTPAY_PASSWORD="demo-password")

    def smartpay(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(python), "-m", "smartpay.app.cli.main", *args], cwd=tmp_path,
                              capture_output=True, text=True, env=desk, timeout=180)

    assert smartpay("demo", "--db", desk["SMARTPAY_DB"]).returncode == 0
    placed = smartpay("--as", "aktest", "order", "create", "renew", "--type", "commercial", "--renew-to",
                      "2025-09-30", "--accept-terms", "--quiet")
    assert placed.returncode == 0, placed.stderr
    txn = placed.stdout.strip()
    methods = json.loads(smartpay("--as", "aktest", "methods", "--order", txn, "--json").stdout)
    assert {m["key"]: m["eligible"] for m in methods}["cash_office"] is True
    paid = smartpay("--as", "aktest", "order", "pay", txn, "--method", "cash_office")
    assert paid.returncode == 0 and f"quoting order {txn}" in paid.stdout, paid.stdout + paid.stderr
    confirmed = smartpay("order", "confirm", txn, "--reference", "RECEIPT-1")
    assert confirmed.returncode == 0, confirmed.stderr
    shown = json.loads(smartpay("--as", "aktest", "order", "show", txn, "--json").stdout)
    assert shown["state"] == "succeeded"


def test_plugin_new_writes_the_distribution_into_dir(tmp_path):
    target = tmp_path / "out" / "office"
    result = invoke("plugin", "new", "office_cash", "--dir", str(target))
    assert result.exit_code == 0, result.output
    pyproject = (target / "pyproject.toml").read_text()
    assert 'name = "smartpay-office-cash"' in pyproject
    assert '[project.entry-points.smartpay]\noffice_cash = "smartpay_office_cash"' in pyproject
    method = (target / "smartpay_office_cash.py").read_text()
    assert "class OfficeCash(PaymentMethod):" in method and 'key = "office_cash"' in method
    assert "settled_by_operator = True" in method
    imports = [line for line in method.splitlines() if line.startswith(("from smartpay", "import smartpay"))]
    assert imports and all(line.startswith("from smartpay.core.plugin_api import") for line in imports)
    assert "PaymentMethodContract" in (target / "tests" / "test_contract.py").read_text()
    assert "smartpay-office-cash" in (target / "README.md").read_text()


def test_plugin_new_defaults_to_smartpay_name_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("plugin", "new", "cash_office").exit_code == 0
    assert (tmp_path / "smartpay-cash_office" / "smartpay_cash_office.py").is_file()


@pytest.mark.parametrize("name", ["Cash", "cash office", "9cash", "cash-office", "x", "a" * 41, "café"])
def test_plugin_new_refuses_a_bad_name_naming_the_field_and_writes_nothing(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    result = invoke("plugin", "new", name)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: NAME: {name!r} must be"), result.output
    assert list(tmp_path.iterdir()) == []


def test_plugin_new_refuses_an_existing_folder_and_leaves_it_alone(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = invoke("plugin", "new", "cash_office", "--dir", str(target))
    assert result.exit_code == 2
    assert result.output.strip() == f"error: --dir: {target} already exists; choose another --dir"
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
