"""Decode Stripe's form encoding: `line_items[0][price_data][unit_amount]=500`, `expand[0]=x`,
`expand[]=x`, `metadata[txn]=…` into nested dicts and lists, as Stripe's API reads them."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def decode(query: str) -> dict:
    """Nested params from a query string or a form body. Lists come back as lists, in index order."""
    root: dict = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head] + (_SEGMENT.findall("[" + rest) if rest else [])
        node = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":  # `expand[]=`: append
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):  # `a=1&a[b]=2`: the later, nested form wins
                    node = {}
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def fingerprint(params: dict) -> str:
    """A canonical text of the params: the idempotency layer compares requests by it."""
    def walk(node, prefix):
        if isinstance(node, dict):
            for k in sorted(node):
                yield from walk(node[k], f"{prefix}[{k}]" if prefix else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{prefix}[{i}]")
        else:
            yield f"{prefix}={node}"
    return "&".join(walk(params, ""))
