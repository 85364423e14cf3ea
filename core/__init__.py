"""smartpay's headless core: domain, services, storage and the plugin host. Never imports textual."""
from .plugin_host.hookspecs import hookimpl

__all__ = ["hookimpl"]
