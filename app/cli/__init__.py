"""The `smartpay` command line: admin tools for whoever holds the database, and the operator
commands that call the core's services. Entry point: `smartpay.app.cli.main:main`."""
