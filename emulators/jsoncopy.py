"""A copy of an emulator's stored JSON object, to hand out or to keep in an event.

The stores keep objects as the JSON the API answers: dicts, lists and immutable scalars, with no
shared or cyclic parts. copy.deepcopy walks them with a memo and a dispatch per value and was
the largest single cost of an emulator request (`make bench`: a third of the Stripe emulator's
CPU per off-session charge); this walks only the two containers JSON has."""
from __future__ import annotations

from typing import Any


def json_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value
