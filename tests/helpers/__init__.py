"""Helpers shared by the test modules (import them from here, not from test files)."""
