"""The sign-off workflow (a state machine) and the supervisor queue."""
