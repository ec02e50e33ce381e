"""Reference codes people show at the desk: short, and hard to misread or mistype."""

from __future__ import annotations

import re
import secrets

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B: letters and digits that look alike on a phone screen.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 6
_CLEAN = re.compile(r"[\s\-_.#]")
_NUMBER = re.compile(r"^[0-9]{1,9}$")


def new_reference() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_reference(text: str) -> str | None:
    """A typed reference ("k7p-4qx", "#K7P4QX") as stored, or None if it cannot be one."""
    code = _CLEAN.sub("", text).upper()
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def new_request_key() -> str:
    """The token a "confirm" button carries, so that a second press books nothing more."""
    return secrets.token_hex(6)


def parse_number(text: str) -> int | None:
    """A number typed or carried by a button (a slot id, a count): ASCII digits that fit a
    database integer, else None (`str.isdigit` takes "²", which `int` refuses)."""
    value = text.strip()
    return int(value) if _NUMBER.match(value) else None
