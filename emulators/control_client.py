"""The controls every emulator serves under /_emulator, called from Python over HTTP, for a test
or demo whose emulator runs in another process. Each emulator's client adds its own controls
(paying a session, approving an order, …) on top of these."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .faults import Fault


class EmulatorControlClient:
    def __init__(self, url: str, timeout_seconds: float = 10.0):
        self.url = url.rstrip("/")
        self._timeout = timeout_seconds

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    def _call(self, method: str, path: str, data: dict | None = None) -> Any:
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator{path}", data=body, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"emulator control {method} {path}: {exc.code} {exc.read().decode()}") from None

    def arm(self, fault: Fault | str, endpoint: str | None = None, times: int = 1) -> None:
        self._call("POST", "/faults", {"fault": str(Fault(fault)), "endpoint": endpoint, "times": times})

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def armed(self) -> list[dict]:
        return self._call("GET", "/faults")
