"""Email outbox (and, from issue 4, in-app notifications)."""
