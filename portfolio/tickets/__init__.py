"""Single-use links for people without an account: assessors and MSF raters."""
