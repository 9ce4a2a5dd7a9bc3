"""Email outbox and in-app notifications."""
