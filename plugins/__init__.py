"""The built-in payment-method plugins. Each is registered through the `smartpay` entry-point
group in pyproject.toml, exactly like a third party's."""
