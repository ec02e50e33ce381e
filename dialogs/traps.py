"""No trap screens: a sentence typed where a short answer is expected is a question.

A screen that waits for a postcode, an area or a name would otherwise answer "I did
not recognise a postcode" to "where can I sleep tonight": the person is stuck with
a question nobody reads. The engine asks `is_question` before such a step sees the
text (after the danger check); a question goes to the search, like free text
anywhere else, and Back returns to the screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.normalize import fold, tokenize
from knowledge.places import parse_area

__all__ = ["SHORT_ANSWER_STEPS", "is_question"]

_QUESTION_MARKS = re.compile(r"[?؟？¿]")
#: A name is rarely longer; a phone number has at least this many digits.
_MAX_NAME_WORDS = 5
_MIN_PHONE_DIGITS = 8


def _words(text: str) -> list[str]:
    return [token for token in tokenize(text) if not token.isdecimal()]


def _not_an_area(text: str) -> bool:
    """Not an arrondissement or a postcode, and more than one word: a sentence."""
    return parse_area(text) is None and len(_words(text)) >= 2


def _not_a_contact(text: str) -> bool:
    """A name or a phone number is short; a question is long, or asks."""
    digits = sum(ch.isdecimal() for ch in fold(text))
    if digits >= _MIN_PHONE_DIGITS:
        return False
    return bool(_QUESTION_MARKS.search(text)) or len(_words(text)) > _MAX_NAME_WORDS


#: The steps that wait for a short answer, and how each tells a sentence from it.
SHORT_ANSWER_STEPS: dict[str, Callable[[str], bool]] = {
    "near": _not_an_area,
    "q-area": _not_an_area,
    "bk-contact": _not_a_contact,
}


def is_question(step: str, text: str) -> bool:
    """Whether text typed on `step` is a question rather than the answer the step expects."""
    looks_like_a_sentence = SHORT_ANSWER_STEPS.get(step)
    return looks_like_a_sentence is not None and looks_like_a_sentence(text)
