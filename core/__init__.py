"""smartpay's headless core: domain, services, storage and the plugin host. Never imports textual."""

__all__ = ["hookimpl"]


def __getattr__(name: str):
    # Lazy: the `smartpay` console script lives under this package, and `smartpay --help` must
    # not pay for importing pluggy and the plugin host (see bench/).
    if name == "hookimpl":
        from .plugin_host.hookspecs import hookimpl
        return hookimpl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
