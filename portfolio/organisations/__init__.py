"""Trusts and health boards: the organisations that employ trainees."""
