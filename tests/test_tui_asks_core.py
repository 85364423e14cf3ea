"""The desk presents what the core answers (DESIGN.md §2: tui/ "decides no rule"): a guard over
tui/'s source. Pay-in, purpose and renew mode are the core's enums, never string literals; the
grant-to-payment mapping, coupon allocation and credit-purchase pricing are not restated; a core
refusal is caught in one place (tui/workers.py) and workers never block on the UI thread."""
from __future__ import annotations

import re
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"
# Page names of the wizard ("renewal", "credits") are the wizard's own, not the domain's.
PAGE_IDS = re.compile(r'(page|self\.page|show_page\(|PAGES|in \()')
DOMAIN_LITERAL = re.compile(r'["\'](money|credit|auto|manual|activation|credit_purchase|regular|none)["\']')
RESTATED = [
    re.compile(r"Grant\.(CREDIT|REGULAR|NONE)\s*[:=]=?\s*frozenset"),       # a grant → pay-in table (R2)
    re.compile(r"pay_by_(pm|installer)\s*==\s*Grant"),                     # deciding from a grant (R2)
    re.compile(r"remaining\.amount"),                                       # coupon arithmetic (R4)
    re.compile(r"MAX_CREDIT_PURCHASE|price_per_credit|validate\.positive_int"),  # credit purchase terms
    re.compile(r"Stripe|PayPal"),                                           # method names: from plugins
]


def sources():
    for path in sorted(TUI.rglob("*.py")):
        if path.name == "demo_panel.py":  # `smartpay demo` only: tells the visitor the providers are emulated
            continue
        yield path.relative_to(TUI), path.read_text(encoding="utf-8")


def code_lines(text: str):
    """Lines of code, docstrings and comments left out (they may name Stripe, rules, …)."""
    in_doc = False
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        quotes = stripped.count('"""')
        if in_doc or stripped.startswith('"""'):
            if quotes == 1:
                in_doc = not in_doc
            continue
        yield n, line.split("  #")[0]


def test_domain_words_are_core_enums_in_tui():
    found = [f"{path}:{n}: {line.strip()}" for path, text in sources() for n, line in code_lines(text)
             if DOMAIN_LITERAL.search(line) and not PAGE_IDS.search(line)]
    assert found == []


def test_tui_restates_no_payment_rule():
    found = [f"{path}:{n}: {line.strip()}" for path, text in sources() for n, line in code_lines(text)
             if any(p.search(line) for p in RESTATED)]
    assert found == []


def test_one_worker_path():
    catches = [f"{path}:{n}" for path, text in sources() for n, line in code_lines(text)
               if "except SmartpayError" in line]
    assert [c.split(":")[0] for c in catches] == ["workers.py"]
    blocking = [f"{path}:{n}" for path, text in sources() for n, line in code_lines(text)
                if "call_from_thread" in line]
    assert blocking == []
