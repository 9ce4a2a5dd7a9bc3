"""Password rules, after NIST SP 800-63B section 5.1.1.2 (memorized secret verifiers):
https://pages.nist.gov/800-63-3/sp800-63b.html#memsecretver

- at least ``MIN_LENGTH`` characters (NIST asks for at least 8) and up to
  ``MAX_LENGTH`` (NIST: allow at least 64); spaces and any Unicode are welcome;
- no composition rules ("a digit, a capital and a symbol"): NIST advises against them;
- not a common or breached password, nor one of them with digits or symbols added at
  either end ("Summer2024!"), nor a repeated or sequential run ("aaaaaaaaaa");
- not containing context words: the person's name, the first part of their email
  address, or the name of this service.

Every rule gives the person its reason, as NIST requires. The list is checked
offline, from ``common-passwords.txt.gz`` beside this file: the 10,000 most common
passwords, being the first 10,000 lines of the list Django 5.2 ships
(``django/contrib/auth/common-passwords.txt.gz``, BSD-3-Clause), which is Royce
Williams' list of common passwords from breach corpora, lower-cased:
https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce
"""

import gzip
import re
import unicodedata
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 200
SERVICE_WORDS = ("mpce", "portfolio")
LIST_PATH = Path(__file__).with_name("common-passwords.txt.gz")

TOO_SHORT = f"Password must be at least {MIN_LENGTH} characters"
TOO_LONG = f"Password must be {MAX_LENGTH} characters or fewer"
COMMON = (
    "Choose a password that is harder to guess: this one, or one very like it, "
    "is on a list of the most common passwords"
)
PATTERN = (
    "Choose a password that is not a repeated or sequential run of characters, "
    "like aaaaaaaaaa or 1234567890"
)
PERSONAL = (
    "Choose a password that does not contain your name, the first part of your "
    "email address or the name of this service"
)
HINT = (
    f"At least {MIN_LENGTH} characters. A few unrelated words make a good password; "
    "avoid common passwords and your name."
)

_SEPARATORS = re.compile(r"[\s\-_.]+")
_ENDS = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_WORDS = re.compile(r"[^\W\d_]+")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(LIST_PATH, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def _normalise(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def _is_common(flat: str) -> bool:
    common = common_passwords()
    leading = re.sub(r"^[\d\W_]+", "", flat)
    trailing = re.sub(r"[\d\W_]+$", "", flat)
    both = _ENDS.sub("", flat)
    return flat in common or any(
        len(stem) >= 3 and stem in common for stem in (leading, trailing, both)
    )


def _is_pattern(flat: str) -> bool:
    core = re.sub(r"^\W+|\W+$", "", flat) or flat
    if len(set(core)) <= 1:
        return True
    for size in range(1, len(core) // 2 + 1):  # "abcabcabc": one unit repeated
        if len(core) % size == 0 and core[:size] * (len(core) // size) == core:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(core, core[1:], strict=False)}
    return steps in ({1}, {-1})  # "0123456789", "zyxwvutsrq"


def context_words(email: str | None, name: str | None) -> set[str]:
    """Words a password must not contain: name parts, email local part, service."""
    words = set(SERVICE_WORDS)
    for text in ((email or "").partition("@")[0], name or ""):
        parts = _WORDS.findall(unicodedata.normalize("NFKC", text).casefold())
        if len("".join(parts)) >= 3:
            words.add("".join(parts))
        words.update(part for part in parts if len(part) >= 4)
    return words


def problem(password: str, email: str | None = None, name: str | None = None):
    """The reason ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    flat = _normalise(password)
    if _is_pattern(flat):
        return PATTERN
    if _is_common(flat):
        return COMMON
    letters = "".join(_WORDS.findall(flat))
    if any(word in flat or word in letters for word in context_words(email, name)):
        return PERSONAL
    return None
