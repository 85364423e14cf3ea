"""Local payment-gateway emulators: real HTTP on 127.0.0.1 that the real Stripe and PayPal SDKs
talk to unchanged. Shipped in the package for the test suite and for `make demo` (payments work
offline, with no account). Never point a real desk at them."""
