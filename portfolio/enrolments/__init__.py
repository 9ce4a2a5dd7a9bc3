"""Enrolments: a trainee on a programme at an organisation, with supervisors."""
