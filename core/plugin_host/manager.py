"""The plugin host: a small typed facade over pluggy (tox 4's shape).

- Plugins come from the `smartpay` entry-point group — the built-ins too — and load lazily, on
  first need, never at import time.
- A plugin that fails to import, implements an unknown hook, or raises while registering is
  skipped and reported (`smartpay plugins`), never fatal.
- SMARTPAY_DISABLE_PLUGINS=a,b skips the named plugins.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Iterable

import pluggy

from ..errors import NotFound, PluginError
from . import hookspecs
from .contained import ContainedMethod, plugin_error, report
from .method import API_VERSION, PaymentContext, PaymentMethod

log = logging.getLogger("smartpay.plugins")
GROUP = "smartpay"
DISABLE_ENV = "SMARTPAY_DISABLE_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    module: str
    hooks: tuple[str, ...]
    methods: tuple[str, ...]


@dataclass(frozen=True)
class SkippedPlugin:
    name: str
    reason: str


class PluginHost:
    def __init__(self, config: Callable[[str], dict] | None = None,
                 disabled: Iterable[str] | None = None,
                 extra_plugins: Iterable[tuple[str, Any]] = (),
                 load_entry_points: bool = True):
        self._config = config or (lambda key: {})
        if disabled is None:
            disabled = [p.strip() for p in os.environ.get(DISABLE_ENV, "").split(",") if p.strip()]
        self._disabled = set(disabled)
        self._extra = list(extra_plugins)
        self._load_entry_points = load_entry_points
        self._lock = threading.Lock()
        self._pm: pluggy.PluginManager | None = None
        self._methods: dict[str, ContainedMethod] = {}
        self._method_plugin: dict[str, str] = {}
        self._infos: list[PluginInfo] = []
        self._skipped: list[SkippedPlugin] = []

    # -- loading -------------------------------------------------------------------------
    def _ensure_loaded(self) -> pluggy.PluginManager:
        if self._pm is None:
            with self._lock:
                if self._pm is None:
                    self._pm = self._load()
        return self._pm

    def _load(self) -> pluggy.PluginManager:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        candidates: list[tuple[str, Callable[[], Any], str]] = []
        if self._load_entry_points:
            for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
                candidates.append((ep.name, ep.load, _version_of(ep)))
        for name, plugin in self._extra:
            candidates.append((name, lambda p=plugin: p, getattr(plugin, "__version__", "0")))
        versions: dict[str, str] = {}
        for name, load, version in candidates:
            if name in self._disabled:
                # Asked for: listed by `smartpay plugins`, logged only at debug level.
                self._skip(name, f"disabled by {DISABLE_ENV}", quiet=True)
                continue
            if pm.has_plugin(name):
                self._skip(name, "another plugin already uses this name")
                continue
            try:
                plugin = load()
            except Exception as exc:  # any import-time failure of third-party code
                self._skip(name, f"failed to import: {type(exc).__name__}: {exc}")
                continue
            too_new = _api_mismatch(plugin)
            if too_new:
                self._skip(name, too_new)
                continue
            try:
                pm.register(plugin, name=name)
                pm.check_pending()
            except pluggy.PluginValidationError as exc:
                if pm.has_plugin(name):
                    pm.unregister(name=name)
                self._skip(name, f"rejected: {exc}")
                continue
            versions[name] = version
        self._register_methods(pm)
        for name, plugin in pm.list_name_plugin():
            hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or ()))
            methods = tuple(k for k, p in self._method_plugin.items() if p == name)
            self._infos.append(PluginInfo(name, versions.get(name, "0"),
                                          getattr(plugin, "__name__", type(plugin).__name__), hooks, methods))
        self._infos.sort(key=lambda i: i.name)
        return pm

    def _register_methods(self, pm: pluggy.PluginManager) -> None:
        for impl in pm.hook.register_payment_methods.get_hookimpls():
            collected: list[PaymentMethod] = []

            def register(method: PaymentMethod, _into=collected) -> None:
                if not isinstance(method, PaymentMethod):
                    raise PluginError(f"register() takes a PaymentMethod, got {type(method).__name__}")
                _into.append(method)

            args = {"register": register, "config": self._config}
            try:
                impl.function(**{k: args[k] for k in impl.argnames})
            except Exception as exc:
                self._skip(impl.plugin_name, f"register_payment_methods failed: {type(exc).__name__}: {exc}")
                pm.unregister(name=impl.plugin_name)
                continue
            for method in collected:
                if not method.key or not method.label:
                    self._skip(impl.plugin_name, f"method {type(method).__name__} has no key or label")
                elif method.key in self._methods:
                    self._skip(impl.plugin_name, f"method key '{method.key}' is already registered "
                                                 f"by {self._method_plugin[method.key]}")
                else:
                    self._methods[method.key] = ContainedMethod(method, impl.plugin_name)
                    self._method_plugin[method.key] = impl.plugin_name

    def _skip(self, name: str, reason: str, quiet: bool = False) -> None:
        log.log(logging.DEBUG if quiet else logging.WARNING, "plugin %s skipped: %s", name, reason)
        self._skipped.append(SkippedPlugin(name, reason))

    # -- the typed facade -----------------------------------------------------------------
    def plugins(self) -> list[PluginInfo]:
        self._ensure_loaded()
        return list(self._infos)

    def skipped(self) -> list[SkippedPlugin]:
        self._ensure_loaded()
        return list(self._skipped)

    def methods(self) -> list[ContainedMethod]:
        """The registered methods, each contained (M8: contained.py)."""
        self._ensure_loaded()
        return list(self._methods.values())

    def method(self, key: str) -> ContainedMethod:
        self._ensure_loaded()
        try:
            return self._methods[key]
        except KeyError:
            known = ", ".join(sorted(self._methods)) or "none"
            raise NotFound(f"method: no payment method '{key}' is installed (installed: {known})") from None

    def plugin_of(self, method_key: str) -> str:
        self._ensure_loaded()
        return self._method_plugin[method_key]

    def vetoes(self, method: PaymentMethod, context: PaymentContext) -> list[str]:
        """Other plugins' reasons to forbid `method` here. Each plugin is asked on its own, in
        pluggy's order (last registered first): one that raises — or answers something that is
        not a str — forbids the method with "plugin error (<plugin>)" (a policy that cannot
        answer is not bypassed) and the others are still asked."""
        reasons: list[str] = []
        for impl in self._impls("veto_payment_method"):
            args = {"method": method, "context": context}
            try:
                reason = impl.function(**{k: args[k] for k in impl.argnames})
            except Exception as exc:
                report(impl.plugin_name, "veto_payment_method", exc)
                reasons.append(plugin_error(impl.plugin_name))
                continue
            if reason is None or reason == "":
                continue
            if not isinstance(reason, str):
                report(impl.plugin_name, "veto_payment_method", answered=reason)
                reason = plugin_error(impl.plugin_name)
            reasons.append(reason)
        return reasons

    def listens_to_order_completed(self) -> bool:
        """Whether any plugin implements `order_completed` (settlement builds full order views
        for the hook only then)."""
        return bool(self._impls("order_completed"))

    def order_completed(self, order) -> None:
        """Tell every listener; one that raises is logged and the others are still told (a
        notice must never undo a completed payment)."""
        for impl in self._impls("order_completed"):
            try:
                impl.function(**{k: order for k in impl.argnames})
            except Exception as exc:
                report(impl.plugin_name, f"order_completed for {getattr(order, 'txn', '?')}", exc)

    def collect_commands(self, new_group: Callable[[], Any]) -> list[tuple[str, Any]]:
        """(plugin name, group) for every plugin implementing `register_commands`: each plugin
        registers into a fresh group of its own (`new_group()`), so it cannot replace the desk's
        commands or another plugin's; one that raises is logged and left out (M8). The core
        stays free of the CLI: the caller says what a group is (click, for `smartpay`)."""
        collected = []
        for impl in self._impls("register_commands"):
            group = new_group()
            try:
                impl.function(**{k: group for k in impl.argnames})
            except Exception as exc:
                report(impl.plugin_name, "register_commands", exc)
                continue
            collected.append((impl.plugin_name, group))
        return collected

    def _impls(self, hook: str) -> list:
        """A hook's implementations in the order pluggy would call them (wrappers left out)."""
        impls = getattr(self._ensure_loaded().hook, hook).get_hookimpls()
        return [i for i in reversed(impls) if not (i.hookwrapper or getattr(i, "wrapper", False))]


API_ATTRIBUTE = "SMARTPAY_API_VERSION"


def _api_mismatch(plugin: Any) -> str | None:
    """Why `plugin` cannot load under this plugin API, or None. A plugin declares the version it
    was written for as `SMARTPAY_API_VERSION = "1.0"`; none declared means 1.0, the contract in
    force before versions were declared. A newer minor version loads (additions only); a newer
    major version does not."""
    declared = getattr(plugin, API_ATTRIBUTE, None)
    if declared is None:
        return None
    try:
        major = int(str(declared).split(".")[0])
    except ValueError:
        return f"declares {API_ATTRIBUTE} = {declared!r}, not a version like \"{API_VERSION}\""
    ours = int(API_VERSION.split(".")[0])
    if major > ours:
        return (f"written for plugin API {declared}; this smartpay provides {API_VERSION} "
                f"(upgrade smartpay, or install a release of the plugin for API {ours}.x)")
    return None


def _version_of(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.version if dist is not None else "0"
