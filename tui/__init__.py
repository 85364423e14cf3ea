"""The Textual full-screen app (smartpay.tui). It calls core services only and receives plain
dataclasses; the screens arrive with the terminal-app issues."""
