"""Users, roles, API tokens, login and password reset."""
