"""Styles live in .tcss files beside the code, also for widgets (Textual reads CSS_PATH only for
apps and screens, so a widget's DEFAULT_CSS is read from its file once, at import)."""
from __future__ import annotations

from pathlib import Path


def beside(module_file: str, name: str | None = None) -> str:
    """The text of `name` (default: the module's own name with .tcss) next to `module_file`."""
    path = Path(module_file)
    return path.with_name(name or path.with_suffix(".tcss").name).read_text(encoding="utf-8")
