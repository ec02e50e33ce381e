"""No trap screens: a sentence typed where a short answer is expected is a question.

A screen that waits for a postcode, an area or a name would otherwise answer "I did
not recognise a postcode" to "where can I sleep tonight": the person is stuck with
a question nobody reads. Such a step declares how it tells a sentence from its answer
(`Step.is_question`, one of the tests here); the engine asks it before the step sees
the text (after the danger check), and a question goes to the search, like free text
anywhere else, and Back returns to the screen.
"""

from __future__ import annotations

import re

from knowledge.normalize import fold, tokenize
from knowledge.places import parse_area

__all__ = ["not_a_contact", "not_an_area"]

_QUESTION_MARKS = re.compile(r"[?؟？¿]")
#: A name is rarely longer; a phone number has at least this many digits.
_MAX_NAME_WORDS = 5
_MIN_PHONE_DIGITS = 8


def _words(text: str) -> list[str]:
    return [token for token in tokenize(text) if not token.isdecimal()]


def not_an_area(text: str) -> bool:
    """Not an arrondissement or a postcode, and more than one word: a sentence."""
    return parse_area(text) is None and len(_words(text)) >= 2


def not_a_contact(text: str) -> bool:
    """A name or a phone number is short; a question is long, or asks."""
    digits = sum(ch.isdecimal() for ch in fold(text))
    if digits >= _MIN_PHONE_DIGITS:
        return False
    return bool(_QUESTION_MARKS.search(text)) or len(_words(text)) > _MAX_NAME_WORDS
