"""R14: text is data, never terminal commands. The one definition of what may not reach a
terminal raw — C0 and C1 control characters, DEL, and the bidirectional controls that reorder
what an operator reads (U+202A–U+202E, U+2066–U+2069, the marks U+200E/U+200F/U+061C) and the
Unicode line separators — used by input checks (core/validate.py) to refuse it, and by every
output boundary (CLI output helpers, the TUI's line filter) to show it as a visible escape.
Pure: no I/O, no terminal library."""
from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def first_unsafe(text: str) -> str | None:
    """The first character of `text` that must not reach a terminal, or None."""
    found = UNSAFE.search(text or "")
    return found.group() if found else None


def escape_char(char: str, json: bool = False) -> str:
    """`\\x1b`, `\\u202e` — or, for JSON text, `\\u001b` (what a JSON reader decodes back)."""
    code = ord(char)
    if json or code > 0xFF:
        return f"\\u{code:04x}"
    return f"\\x{code:02x}"


def visible(text: str, keep_newlines: bool = False, json: bool = False) -> str:
    """`text` with every unsafe character replaced by its visible escape. `keep_newlines` lets
    the line breaks of a multi-line message through (each line is still escaped)."""
    if not text:
        return text
    def swap(match: re.Match) -> str:
        char = match.group()
        return char if keep_newlines and char == "\n" else escape_char(char, json)
    return UNSAFE.sub(swap, text)


def first_unsafe_entry(data, path: str = "") -> tuple[str, str] | None:
    """The first (dotted key path, character) in nested TOML-like data — tables, arrays, text —
    whose key or text holds a character that must not reach a terminal; None when all is clean.
    For configuration read from files: refused at load, naming the key, rather than escaped on
    every screen that shows it."""
    if isinstance(data, str):
        found = first_unsafe(data)
        return (path, found) if found else None
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            bad_key = first_unsafe(str(key))
            if bad_key:
                return visible(here), bad_key
            found = first_unsafe_entry(value, here)
            if found:
                return found
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            found = first_unsafe_entry(value, f"{path}[{i}]")
            if found:
                return found
    return None
