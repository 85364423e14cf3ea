"""One screen (or pane) per file."""
