"""CSV cells a spreadsheet will not run as formulas.

Spreadsheet programs treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
a tab or carriage return before one) as a formula, so a name typed by a user could
run as one when an exported file is opened (OWASP, "CSV Injection":
https://owasp.org/www-community/attacks/CSV_Injection). Every CSV file the
portfolio writes passes its text cells through ``safe_text``, which puts a single
quote before such a cell so it is shown as typed.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """``text`` with a leading single quote when a spreadsheet would run it."""
    return "'" + text if text[:1] in FORMULA_STARTS else text
