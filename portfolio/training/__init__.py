"""Enrolments, supervision, progress, apprenticeship rules and reviews."""
