"""Text folding and tokenising for search, whatever the script a person types in.

People type on phones: without accents, with the Arabic, Persian, Urdu or
Pashto letter their keyboard offers, with or without harakat, tatweel or the
zero-width non-joiner, in Latin letters for languages written otherwise. Folding
maps all these variants to one form, the same for the content and the query, so
that the index only ever compares folded text.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

from unidecode import unidecode

__all__ = [
    "Script",
    "fold",
    "raw_words",
    "script_of",
    "skeleton",
    "tokenize",
    "word_tokens",
]


class Script(StrEnum):
    LATIN = "latin"
    ARABIC = "arabic"
    CYRILLIC = "cyrillic"
    BENGALI = "bengali"
    ETHIOPIC = "ethiopic"
    HAN = "han"
    OTHER = "other"


# Letters that different keyboards and languages use for the same sound or shape.
# Keys are single code points; values are what both content and queries become.
_LETTERS: dict[str, str] = {
    # yeh: Arabic, Persian, alef maksura, Urdu yeh barree, Pashto yehs
    "\u06cc": "\u064a",  # ی Persian yeh
    "\u0649": "\u064a",  # ى alef maksura
    "\u06d2": "\u064a",  # ے Urdu yeh barree
    "\u06d0": "\u064a",  # ې Pashto yeh
    "\u06cd": "\u064a",  # ۍ Pashto yeh with tail
    "\u06ce": "\u064a",  # ێ
    # kaf: Persian keheh, swash kaf
    "\u06a9": "\u0643",  # ک
    "\u06aa": "\u0643",  # ڪ
    # gaf: Pashto gaf
    "\u06ab": "\u06af",  # ګ → گ
    # heh and teh marbuta: Urdu heh goal, do-chashmi heh, ae
    "\u0629": "\u0647",  # ة
    "\u06c1": "\u0647",  # ہ
    "\u06be": "\u0647",  # ھ
    "\u06d5": "\u0647",  # ە
    "\u06c3": "\u0647",  # ۃ
    # alef wasla (hamza forms decompose under NFD and lose their hamza below)
    "\u0671": "\u0627",  # ٱ
    # Urdu and Pashto retroflex letters, typed as the plain letter on Arabic/Persian keyboards
    "\u0679": "\u062a",  # ٹ
    "\u067c": "\u062a",  # ټ
    "\u0688": "\u062f",  # ڈ
    "\u0689": "\u062f",  # ډ
    "\u0691": "\u0631",  # ڑ
    "\u0693": "\u0631",  # ړ
    "\u06ba": "\u0646",  # ں noon ghunna
    "\u06bc": "\u0646",  # ڼ
    "\u069a": "\u0634",  # ښ → ش
    "\u0696": "\u0698",  # ږ → ژ
    "\u0681": "\u0632",  # ځ → ز
    "\u0685": "\u0633",  # څ → س
    "\u06a4": "\u0641",  # ڤ → ف
    # Latin ligatures that NFKC keeps
    "\u0153": "oe",
    "\u00e6": "ae",
    "\u00f8": "o",
    "\u0142": "l",
    "\u0111": "d",
}

# Removed outright: marks that change nothing a reader searches for.
_DROPPED = (
    [chr(c) for c in range(0x0300, 0x0370)]  # Latin/Cyrillic/Greek accents (after NFD)
    + [chr(c) for c in range(0x064B, 0x0660)]  # harakat, and hamza above/below after NFD
    + ["\u0670"]  # superscript alef
    + [chr(c) for c in range(0x06D6, 0x06EE)]  # Quranic marks
    + ["\u0640"]  # tatweel
    + ["\u0621"]  # standalone hamza
    + ["\u200b", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad"]
)

_TABLE: dict[int, str | None] = {ord(k): v for k, v in _LETTERS.items()}
_TABLE.update({ord(ch): None for ch in _DROPPED})
# ZWNJ joins a Persian word to its suffix ("نامه‌ها"); as a space, the stem stands alone,
# which is also what people get when they type a space or nothing instead.
_TABLE[0x200C] = " "

# Apostrophes inside Cyrillic words belong to the word (Ukrainian "б'є").
_CYRILLIC_APOSTROPHE = re.compile(r"(?<=[\u0400-\u04ff])['’ʼ`](?=[\u0400-\u04ff])")
_LATIN_LETTER = r"a-z\u00c0-\u02af\u1e00-\u1eff\ua720-\ua7ff"
_ARABIC_LETTER = (
    r"\u0621-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08ff"
)
_HAN_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One pass over the folded text, alternatives tried in order at each position:
# - one Arabizi digit among Latin letters ("n9der", "3andi") stands for a letter;
# - other numbers stand apart from letters ("18eme" is 18 and "eme");
# - a run of one script is a word, so "الـAME" (tatweel gone: "الame") is two;
# - Chinese runs are cut into bigrams afterwards;
# - any other letters, with the Indic vowel signs and viramas that `\w` leaves out.
_TOKEN = re.compile(
    r"[a-z]*[2356789][a-z]+|[a-z]+[2356789][a-z]*"
    r"|\d+"
    rf"|[{_LATIN_LETTER}]+"
    rf"|[{_ARABIC_LETTER}]+"
    rf"|[{_HAN_CHAR}]+"
    r"|(?:[^\W\d_]|[\u0900-\u0dff])+"
)
_HAN_RUN = re.compile(rf"[{_HAN_CHAR}]")
# A word as written: letters and digits with what folding removes or joins inside a word
# (accents and harakat as combining marks, tatweel, apostrophes, joiners). The ZWNJ is not
# in it: folding turns it into a space anyway.
_RAW_WORD = re.compile(
    r"(?:[\w\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u0900-\u0dff"
    r"\u200b\u200d-\u200f\u2060\ufeff\u00ad]|['’ʼ`])+"
)
_ARABIZI = re.compile(r"^[a-z]*[2356789][a-z]*$")
_ARABIZI_DIGITS = {"2": "", "3": "", "5": "kh", "6": "t", "7": "h", "8": "gh", "9": "q"}
# Arabic-Indic, Persian, Bengali and other decimal digits: "١١٥", "۱۱۵", "১১৫" are all 115.
_DIGITS: dict[int, str] = {
    code: str(unicodedata.decimal(chr(code)))
    for code in range(0x0660, 0x3000)
    if chr(code).isdecimal()
}


def fold(text: str) -> str:
    """Lower case, no accents or harakat, one form per letter, ASCII digits."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _CYRILLIC_APOSTROPHE.sub("", text)
    text = unicodedata.normalize("NFD", text).translate(_TABLE)
    return unicodedata.normalize("NFC", text).translate(_DIGITS)


def tokenize(text: str) -> list[str]:
    """Folded tokens: words, numbers apart from letters, Chinese as overlapping bigrams."""
    return [token for word in raw_words(text) for token in word_tokens(word)]


def raw_words(text: str) -> list[str]:
    """The words of a text as written, before folding (see `word_tokens`)."""
    return _RAW_WORD.findall(text)


def word_tokens(word: str) -> tuple[str, ...]:
    """The folded tokens of one word as written.

    Texts repeat their words: the indexer folds each distinct word once (its own memo)
    and `tokenize` goes the same way, so content and queries are cut alike.
    """
    tokens: list[str] = _TOKEN.findall(fold(word))
    if _HAN_RUN.search(word):
        tokens = [piece for token in tokens for piece in _han_bigrams(token)]
    return tuple(tokens)


def _han_bigrams(token: str) -> list[str]:
    # Chinese has no spaces; overlapping bigrams are the usual index unit for it.
    if len(token) < 2 or not _HAN_RUN.match(token):
        return [token]
    return [token[i : i + 2] for i in range(len(token) - 1)]


@lru_cache(maxsize=65536)
def script_of(token: str) -> Script:
    """The script of a folded token, judged by its first letter."""
    for ch in token:
        if ch.isdigit():
            continue
        code = ord(ch)
        if code < 0x02B0 or 0x1E00 <= code < 0x1F00 or 0xA720 <= code < 0xA800:
            return Script.LATIN
        if 0x0600 <= code < 0x0700 or 0x0750 <= code < 0x0780 or 0xFB50 <= code < 0xFF00:
            return Script.ARABIC
        if 0x0400 <= code < 0x0530:
            return Script.CYRILLIC
        if 0x0980 <= code < 0x0A00:
            return Script.BENGALI
        if 0x1200 <= code < 0x13A0 or 0x2D80 <= code < 0x2DE0 or 0xAB00 <= code < 0xAB30:
            return Script.ETHIOPIC
        if 0x3400 <= code < 0xA000 or 0xF900 <= code < 0xFB00:
            return Script.HAN
        return Script.OTHER
    return Script.OTHER


# Phonetic key: consonant classes that survive every way of writing a word in Latin
# letters (Arabizi, Finglish, romanised Urdu/Bengali, Unidecode's transliteration).
_DIGRAPHS = (
    ("kh", "x"),
    ("gh", "k"),
    ("sh", "s"),
    ("ch", "s"),
    ("zh", "z"),
    ("dh", "z"),
    ("th", "t"),
    ("ph", "f"),
    ("bh", "b"),
    ("ts", "s"),
)
_CONSONANT_CLASSES = str.maketrans(
    {"q": "k", "g": "k", "c": "s", "v": "f", "p": "b", **dict.fromkeys("aeiouyhw", "")}
)
_NOT_LATIN_LETTER = re.compile(r"[^a-z]")
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=16384)
def skeleton(token: str) -> str | None:
    """A consonant skeleton of a folded token, or None when too short to mean anything.

    "panahandegi", "پناهندگی" and "pnhndgy" share one; so do "n9der" and "نقدر",
    "paris" and "باريس", "kaj" and "কাজ". It is a coarse key, searched with a low weight.
    """
    script = script_of(token)
    if script is Script.HAN or token.isdecimal():
        return None
    if script is Script.ARABIC and token.startswith("\u0627\u0644") and len(token) > 4:
        token = token[2:]  # the article "ال" is not part of the word
    if script is Script.LATIN and _ARABIZI.match(token):
        token = "".join(_ARABIZI_DIGITS.get(ch, ch) for ch in token)
    latin = unidecode(token).lower()
    for digraph, letter in _DIGRAPHS:
        latin = latin.replace(digraph, letter)
    latin = _NOT_LATIN_LETTER.sub("", latin.translate(_CONSONANT_CLASSES))
    key = _REPEATS.sub(r"\1", latin)
    return key if len(key) >= 2 else None
