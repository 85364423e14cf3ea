"""The subscription wizard: 1 Purchase Types 2 Purchase Details 3 Payment Information 4 Confirmation."""
