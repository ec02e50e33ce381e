"""The search finds the entry from the way people type on a phone."""

from __future__ import annotations

import pytest

from knowledge.documents import SearchDocument
from knowledge.search import SearchHit, SearchIndex, documents_from_entries
from knowledge.synonyms import Synonyms
from tests.search.corpus import DOCUMENTS, doc, top


def test_a_plain_question_finds_its_entry(index: SearchIndex) -> None:
    assert top(index, "cours de français gratuits", "fr") == "french-courses"


def test_hits_are_best_first_within_the_limit(index: SearchIndex) -> None:
    hits = index.search("AME navigo", "fr", limit=2)
    assert len(hits) == 2
    assert hits[0].score >= hits[1].score
    assert {hit.slug for hit in hits} == {"health-ame", "transport-solidarity"}


@pytest.mark.parametrize(
    ("query", "locale", "slug"),
    [
        ("hebergement urgence", "fr", "housing-115"),  # no accents
        ("cour de fransais gratui", "fr", "french-courses"),  # typos
        ("avocta gratuit", "fr", "legal-aid"),  # swapped letters
        ("lawer for free", "en", "legal-aid"),  # a dropped letter
        ("c koi lame", "fr", "health-ame"),  # elision typed without its apostrophe
        ("jai pas de taf", "fr", "work-rights"),  # colloquial word from the synonyms
    ],
)
def test_spelling_as_people_type(index: SearchIndex, query: str, locale: str, slug: str) -> None:
    assert top(index, query, locale) == slug


@pytest.mark.parametrize(
    "query",
    [
        "المساعدة الطبية",
        "المساعده الطبيه",  # teh marbuta typed as heh
        "المُسَاعَدَة الطِّبِّيَّة",  # with harakat
        "المسـاعـدة الطبـية",  # with tatweel
    ],
)
def test_arabic_spelling_variants(index: SearchIndex, query: str) -> None:
    assert top(index, query, "ar") == "health-ame"


@pytest.mark.parametrize(
    "query",
    [
        "کلاس‌های فرانسوی",  # Persian letters, ZWNJ
        "کلاس های فرانسوی",  # a space instead of the ZWNJ
        "كلاسهاي فرانسوي",  # Arabic kaf and yeh, no ZWNJ
    ],
)
def test_persian_spelling_variants(index: SearchIndex, query: str) -> None:
    assert top(index, query, "fa") == "french-courses"


def test_hamza_forms(index: SearchIndex) -> None:
    assert top(index, "اين انام في الشارع", "ar") == "housing-115"
    assert top(index, "أين أنام في الشارع", "ar") == "housing-115"


@pytest.mark.parametrize(
    ("query", "locale", "slug"),
    [
        ("Cimade", "ar", "legal-aid"),  # only the French text names it
        ("récépissé navigo", "uk", "transport-solidarity"),
        ("recepisse NAVIGO", "bn", "transport-solidarity"),
        ("كيف اطلب AME", "ar", "health-ame"),
        ("GUDA", "fa", "asylum-registration"),
    ],
)
def test_french_desk_terms_in_any_locale(
    index: SearchIndex, query: str, locale: str, slug: str
) -> None:
    assert top(index, query, locale) == slug


@pytest.mark.parametrize(
    ("query", "locale", "slug"),
    [
        ("tasrih 3amal", "ar", "work-rights"),  # Arabizi
        ("talab lojoo", "ar", "asylum-registration"),
        ("kelas faransavi rayegan", "fa", "french-courses"),  # Finglish
        ("ashroy abedon", "bn", "asylum-registration"),  # romanised Bengali
        ("النافيغو", "ar", "transport-solidarity"),  # a French term in Arabic letters
    ],
)
def test_typed_in_another_script(index: SearchIndex, query: str, locale: str, slug: str) -> None:
    assert top(index, query, locale) == slug


def test_a_person_typing_in_another_language_than_their_locale(index: SearchIndex) -> None:
    assert top(index, "free french classes", "ar") == "french-courses"
    assert top(index, "مكان للنوم", "fr") == "housing-115"


def test_the_person_s_locale_is_preferred_when_evidence_is_equal() -> None:
    documents = [
        doc("in-french", "fr", "Zorglub", "Un mot rare pour ce test.", ("zorglub",)),
        doc("in-english", "en", "Zorglub", "A rare word for this test.", ("zorglub",)),
    ]
    index = SearchIndex.build(documents)
    assert top(index, "zorglub", "fr") == "in-french"
    assert top(index, "zorglub", "en") == "in-english"


@pytest.mark.parametrize(("query", "locale"), [("115", "fr"), ("١١٥", "ar"), ("۱۱۵", "fa")])
def test_a_number(index: SearchIndex, query: str, locale: str) -> None:
    assert top(index, query, locale) == "housing-115"


@pytest.mark.parametrize(
    "query", ["", "   ", "!!!", "😀😀😀", "?", "\u200c\u200d", "\x00\x01", "ـــ"]
)
def test_nothing_to_search_gives_no_hits(index: SearchIndex, query: str) -> None:
    assert index.search(query, "fr") == []


@pytest.mark.parametrize(
    "query",
    [
        "a" * 10_000,
        "cours " * 5_000,
        "zxqv wkjh pfft",
        "🙏 " * 200 + "115",
        "".join(chr(c) for c in range(0x20, 0x3000, 7)),
    ],
)
def test_garbage_and_very_long_queries_do_not_crash(index: SearchIndex, query: str) -> None:
    hits = index.search(query, "fr", limit=3)
    assert len(hits) <= 3
    assert all(isinstance(hit, SearchHit) and hit.score > 0 for hit in hits)


def test_unknown_locale_and_zero_limit(index: SearchIndex) -> None:
    assert top(index, "cours de français", "xx") == "french-courses"
    assert index.search("cours de français", "fr", limit=0) == []


def test_an_empty_index_answers_nothing() -> None:
    assert SearchIndex.build([]).search("115", "fr") == []


def test_a_later_document_replaces_one_with_the_same_slug_and_locale() -> None:
    old = doc("entry", "fr", "Ancien titre", "Ancien texte sans rapport.", ())
    new = doc("entry", "fr", "Nouveau titre", "Texte sur le logement.", ("logement",))
    index = SearchIndex.build([old, new])
    assert len(index) == 1
    assert index.title("entry", "fr") == "Nouveau titre"
    assert top(index, "logement", "fr") == "entry"


def test_synonyms_are_searched_with_a_lower_weight() -> None:
    documents = [doc("shelter", "fr", "Hébergement", "Trouver un hébergement.", ())]
    index = SearchIndex.build(documents, synonyms=Synonyms([["logement", "hébergement"]]))
    direct = index.search("hébergement", "fr")[0].score
    through_synonym = index.search("logement", "fr")[0].score
    assert 0 < through_synonym < direct


def test_synonyms_match_whole_phrases() -> None:
    synonyms = Synonyms([["sans papiers", "sans titre de séjour"], ["taf", "travail"]])
    assert synonyms.expand(["je", "suis", "sans", "papiers"]) == [("sans", "titre", "de", "sejour")]
    assert synonyms.expand(["sans", "argent"]) == []
    assert synonyms.expand(["taf", "travail"]) == []


def test_index_reports_its_slugs_locales_and_titles(index: SearchIndex) -> None:
    assert len(index) == len(DOCUMENTS)
    assert "health-ame" in index.slugs
    assert {"fr", "en", "ar", "fa", "uk", "bn"} <= index.locales
    assert index.title("housing-115", "en") == "Emergency shelter: call 115"
    assert index.title("housing-115", "ti") is None


def test_documents_from_entries_skips_unpublished_entries() -> None:
    from knowledge.schema import EntryFile

    def entry(slug: str, published: bool) -> EntryFile:
        return EntryFile.model_validate(
            {
                "slug": slug,
                "kind": "faq",
                "sources": [{"title": "Une source", "checked": "2026-11-27"}],
                "review_due": "2027-11-27",
                "published": published,
                "translations": {
                    "fr": {
                        "status": "source",
                        "title": "Titre",
                        "summary": "Un résumé assez long.",
                        "body": "Un texte assez long.",
                        "keywords": ["mot"],
                    },
                    "en": {
                        "status": "machine",
                        "title": "Title",
                        "summary": "A summary long enough.",
                        "body": "A text long enough.",
                    },
                },
            }
        )

    documents = documents_from_entries([entry("shown", True), entry("hidden", False)])
    assert documents == [
        SearchDocument("shown", "en", "Title", "A summary long enough.", "A text long enough.", (), "faq"),
        SearchDocument("shown", "fr", "Titre", "Un résumé assez long.", "Un texte assez long.", ("mot",), "faq"),
    ]  # fmt: skip
