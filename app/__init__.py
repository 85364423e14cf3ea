"""The programs above the core: the `smartpay` command line, the demo launcher and the webhook
server. They parse, print and serve; every rule and every write is the core's (smartpay.core),
and the full-screen desk is smartpay.tui. Nothing in the core imports this package."""
