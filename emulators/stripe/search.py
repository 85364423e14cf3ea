"""A subset of Stripe's Search Query Language, enough for looking things up by what smartpay
wrote on them: `metadata['txn']:'123'`, `status:'succeeded'`, `customer:'cus_…'`, joined by
AND or by OR (not both, as in Stripe), `-` to negate. Anything else is refused with Stripe's
400, so a query the real API would read differently never passes silently."""
from __future__ import annotations

import re

from . import errors as err

_CLAUSE = re.compile(r"""\s*(-?)(metadata\[(?:'([^']*)'|"([^"]*)")\]|[a-z_]+):(?:'([^']*)'|"([^"]*)"|(\d+))\s*""")
_JOIN = re.compile(r"\s+(AND|OR)\s+", re.IGNORECASE)
_FIELDS = {"status", "customer", "currency", "amount", "email", "name", "description"}


def parse_query(query: str) -> tuple[str, list[tuple[bool, str, str | None, str]]]:
    """('AND'|'OR', [(negated, field, metadata key, value)])."""
    parts = _JOIN.split(query.strip())
    clauses, joins = parts[0::2], {j.upper() for j in parts[1::2]}
    if len(joins) > 1:
        raise err.invalid("A search query cannot mix AND and OR.", "query")
    parsed = []
    for text in clauses:
        m = _CLAUSE.fullmatch(text)
        if not m:
            raise err.invalid(f"Unsupported search query clause: {text!r}", "query")
        negated, field, key1, key2, v1, v2, v3 = m.groups()
        key = key1 if key1 is not None else key2
        name = "metadata" if key is not None else field
        if name != "metadata" and name not in _FIELDS:
            raise err.invalid(f"Field '{field}' is not a supported search field.", "query")
        value = next(v for v in (v1, v2, v3) if v is not None)
        parsed.append((bool(negated), name, key, value))
    return (joins.pop() if joins else "AND"), parsed


def matches(obj: dict, query: tuple[str, list]) -> bool:
    join, clauses = query
    results = []
    for negated, field, key, value in clauses:
        actual = obj.get("metadata", {}).get(key) if field == "metadata" else obj.get(field)
        hit = actual is not None and str(actual) == value
        results.append(hit != negated)
    return all(results) if join == "AND" else any(results)
