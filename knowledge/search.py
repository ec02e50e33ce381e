"""Find the entries that answer what a person typed on a phone, in any of the locales.

How a query meets the content:

- Every text is folded (`knowledge.normalize`): case, accents, harakat, tatweel,
  ZWNJ and the Arabic/Persian/Urdu/Pashto letter variants disappear.
- Words are reduced to terms (`knowledge.terms`): Snowball stems where a
  stemmer exists, a prefix elsewhere, Chinese as bigrams, numbers as they are.
- Each (entry, locale) is a document scored with BM25 (bm25s) in two fields,
  added with weights: the heading (title and keywords) counts more than the
  text (summary and body). Term statistics are per locale, so a word common in
  every French text ("de") weighs nothing in French, whatever other locales hold.
- A consonant skeleton of every word (`normalize.skeleton`) is indexed too, so
  Arabizi, Finglish or romanised Urdu/Bengali meet the Arabic-script or Bengali
  text, and "النافيغو" meets "Navigo". It counts less than a real term.
- A query word the index does not know is matched to the nearest known terms
  (rapidfuzz) for typos, after trying a French elision typed without its
  apostrophe ("lame" for "l'AME").
- Everyday synonyms (`knowledge/synonyms.yaml`) are searched with a lower weight.
- All locales are searched: the person's locale counts fully, French (the terms
  met at every desk: AME, CAF, récépissé...) and English a little less, others
  less again. An entry scores what its best locale scores.
- A status entry (asylum seeker, refugee...) is the overview of everything that
  status touches; when a message names a status and a subject ("asylum seeker,
  can I work?"), the entry on the subject answers it, so status entries weigh a
  little less.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt
from scipy import sparse

from knowledge.documents import SearchDocument, documents_from_entries
from knowledge.loader import load_dir
from knowledge.normalize import Script, raw_words, script_of, skeleton, tokenize, word_tokens
from knowledge.spelling import NearWords
from knowledge.synonyms import Synonyms
from knowledge.terms import document_term, is_stopword, query_terms

__all__ = [
    "CONTENT_DIR",
    "SearchHit",
    "SearchIndex",
    "SearchTuning",
    "documents_from_entries",
    "load_bundled_documents",
]

CONTENT_DIR = Path(__file__).with_name("content")

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
RowArray = npt.NDArray[np.int32]
Evidence = tuple[tuple[int, float], ...]

# Skeletons are kept apart by the script they come from: they are only worth a look
# across scripts (Arabizi against Arabic letters), where no other evidence can match.
_LATIN_SKELETON = "~l"
_OTHER_SKELETON = "~x"
_FIELDS = ("heading", "text")
# French elisions typed without the apostrophe: "lame", "dasile", "jai", "mouvrir".
_ELIDED_LETTERS = frozenset("cdjlmnst")
_EVIDENCE_CACHE_SIZE = 50_000
_SHOWN_SCORE = 0.00005


@dataclass(frozen=True)
class SearchHit:
    slug: str
    score: float


@dataclass(frozen=True)
class SearchTuning:
    """How much each kind of evidence counts. Scores are BM25 sums, not probabilities."""

    # Two fields, each scored by its own BM25: the heading (title and keywords, the words
    # people use for the subject) says more than the text (summary and body).
    heading: float = 1.0
    text: float = 0.5
    # Evidence weaker than the word itself.
    skeleton: float = 0.35
    fuzzy: float = 0.8
    elision: float = 0.9
    synonym: float = 0.3
    # Locales: the person's own, then the desk language, then the common second language.
    own_locale: float = 1.0
    french: float = 0.6
    english: float = 0.5
    other_locale: float = 0.4
    #: Status entries are overviews: a subject's own entry should come first.
    status_prior: float = 0.9
    # BM25 (Lucene variant, as bm25s computes it).
    k1: float = 1.2
    b: float = 0.75
    # Fuzzy matching: similarity (0-1) of a query term to a known term, by optimal string
    # alignment (a swap of two letters is one typo): 1 typo in 4 letters, 2 in 8.
    fuzzy_cutoff: float = 0.75
    fuzzy_min_length: int = 4
    fuzzy_candidates: int = 3
    #: Unknown words looked up per query: a long rambling message must not cost more.
    max_fuzzy_words: int = 6
    # A phone message, not a document: longer input is cut, never an error.
    max_query_chars: int = 500
    max_query_tokens: int = 32

    def field_weight(self, name: str) -> float:
        return self.heading if name == "heading" else self.text

    def kind_prior(self, kind: str) -> float:
        return self.status_prior if kind == "status" else 1.0

    def locale_weight(self, document_locale: str, person_locale: str) -> float:
        if document_locale == person_locale:
            return self.own_locale
        if document_locale == "fr":
            return self.french
        if document_locale == "en":
            return self.english
        return self.other_locale


def load_bundled_documents(directory: Path = CONTENT_DIR) -> list[SearchDocument]:
    """Documents straight from entry files; a bad file raises `loader.ContentErrors`."""
    return documents_from_entries(load_dir(directory))


class SearchIndex:
    """Built once from documents, then only read (searching fills small caches)."""

    def __init__(
        self,
        *,
        documents: Sequence[SearchDocument],
        matrix: sparse.csc_array,
        vocabulary: dict[str, int],
        word_terms: dict[str, tuple[int, ...]],
        tuning: SearchTuning,
        synonyms: Synonyms,
    ) -> None:
        self._size = len(documents)
        self._tuning = tuning
        self._synonyms = synonyms
        self._vocabulary = vocabulary
        self._indptr: IntArray = matrix.indptr.astype(np.int64)
        self._rows: RowArray = matrix.indices.astype(np.int32)
        self._values: FloatArray = matrix.data.astype(np.float32)
        self._slugs = tuple(dict.fromkeys(document.slug for document in documents))
        # Documents are sorted by slug: an entry's locales are one contiguous run.
        starts = [
            i for i in range(len(documents)) if i == 0 or documents[i].slug != documents[i - 1].slug
        ]
        self._slug_starts: IntArray = np.asarray(starts, dtype=np.int64)
        self._document_locales = tuple(document.locale for document in documents)
        self._entry_priors: FloatArray = np.asarray(
            [tuning.kind_prior(documents[start].kind) for start in starts], dtype=np.float32
        )
        # Only the titles are kept, to show hits; the texts live in the documents' owner.
        self._titles = {(d.slug, d.locale): d.title for d in documents}
        self._locale_weights: dict[str, FloatArray] = {}
        self._evidence: dict[str, Evidence] = {}
        # Fuzzy matching compares whole words as written, then searches their terms.
        self._word_terms = word_terms
        self._near_words = NearWords(
            word_terms, cutoff=tuning.fuzzy_cutoff, limit=tuning.fuzzy_candidates
        )

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        documents: Iterable[SearchDocument],
        *,
        tuning: SearchTuning | None = None,
        synonyms: Synonyms | None = None,
    ) -> SearchIndex:
        tuning = tuning or SearchTuning()
        ordered = _unique_sorted(documents)
        vocabulary: dict[str, int] = {}
        rows: list[RowArray] = []
        columns: list[RowArray] = []
        values: list[FloatArray] = []
        word_terms: dict[str, tuple[int, ...]] = {}
        for locale, numbers in _numbers_by_locale(ordered).items():
            # One locale at a time, its analyser dropped after: the build peak stays small.
            analyser = _DocumentAnalyser(locale)
            scored = _locale_columns(analyser, [ordered[n] for n in numbers], tuning)
            to_global = np.asarray(
                [vocabulary.setdefault(term, len(vocabulary)) for term in analyser.terms],
                dtype=np.int32,
            )
            for field_rows, field_columns, field_values in scored:
                rows.append(np.asarray(numbers, dtype=np.int32)[field_rows])
                columns.append(to_global[field_columns])
                values.append(field_values)
            _add_word_terms(word_terms, analyser, vocabulary)
        matrix = _sum_matrix(rows, columns, values, shape=(len(ordered), len(vocabulary)))
        return cls(
            documents=ordered,
            matrix=matrix,
            vocabulary=vocabulary,
            word_terms=word_terms,
            tuning=tuning,
            synonyms=synonyms if synonyms is not None else Synonyms.load(),
        )

    # ------------------------------------------------------------------ reading

    @property
    def slugs(self) -> tuple[str, ...]:
        return self._slugs

    @property
    def locales(self) -> frozenset[str]:
        return frozenset(self._document_locales)

    def __len__(self) -> int:
        return self._size

    def title(self, slug: str, locale: str) -> str | None:
        """An entry's title in a locale, to show a hit; None when it has no such translation."""
        return self._titles.get((slug, locale))

    def search(self, query: str, locale: str, limit: int = 3) -> list[SearchHit]:
        """The entries that best answer `query`, best first; empty when nothing matches."""
        if limit <= 0 or not self._size:
            return []
        weights = self._query_weights(query)
        if not weights:
            return []
        document_scores = self._document_scores(weights) * self._locale_weights_for(locale)
        entry_scores = np.maximum.reduceat(document_scores, self._slug_starts)
        return self._best(entry_scores * self._entry_priors, limit)

    # ------------------------------------------------------------------ query side

    def _query_weights(self, query: str) -> dict[int, float]:
        tuning = self._tuning
        tokens = tokenize(query[: tuning.max_query_chars])[: tuning.max_query_tokens]
        weights: dict[int, float] = {}
        guesses = _Guesses(tuning.max_fuzzy_words)
        self._add_evidence(weights, tokens, 1.0, guesses)
        for phrase in self._synonyms.expand(tokens):
            # A long synonym must not outweigh the single word that called it.
            factor = tuning.synonym / math.sqrt(len(phrase))
            self._add_evidence(weights, phrase, factor, guesses)
        return weights

    def _add_evidence(
        self, weights: dict[int, float], tokens: Sequence[str], factor: float, guesses: _Guesses
    ) -> None:
        for token in tokens:
            for term_id, weight in self._token_evidence(token, guesses):
                # The strongest reading of a term wins; repeating a word adds nothing.
                weights[term_id] = max(weights.get(term_id, 0.0), weight * factor)

    def _token_evidence(self, token: str, guesses: _Guesses) -> Evidence:
        cached = self._evidence.get(token)
        if cached is not None:
            return cached
        evidence = self._known_terms(token, 1.0) or self._elided(token)
        complete = True
        if not evidence and self._may_be_misspelt(token):
            complete = guesses.take()
            evidence = self._fuzzy(token) if complete else ()
        key = _skeleton_across_scripts(token)
        if key is not None and (term_id := self._vocabulary.get(key)) is not None:
            evidence = (*evidence, (term_id, self._tuning.skeleton))
        if complete:
            if len(self._evidence) >= _EVIDENCE_CACHE_SIZE:
                self._evidence.clear()
            self._evidence[token] = evidence
        return evidence

    def _known_terms(self, token: str, weight: float) -> Evidence:
        found = (self._vocabulary.get(term) for term in query_terms(token))
        return tuple((term_id, weight) for term_id in dict.fromkeys(found) if term_id is not None)

    def _elided(self, token: str) -> Evidence:
        if len(token) < 4 or script_of(token) is not Script.LATIN:
            return ()
        if token.startswith("qu"):
            return self._known_terms(token[2:], self._tuning.elision)
        if token[0] in _ELIDED_LETTERS:
            return self._known_terms(token[1:], self._tuning.elision)
        return ()

    def _may_be_misspelt(self, token: str) -> bool:
        return (
            len(token) >= self._tuning.fuzzy_min_length
            and not token.isdecimal()
            and script_of(token) is not Script.HAN
        )

    def _fuzzy(self, token: str) -> Evidence:
        tuning = self._tuning
        best: dict[int, float] = {}
        for word, similarity in self._near_words.near(token):
            # Squared similarity: one typo in a long word keeps most of the weight.
            weight = tuning.fuzzy * similarity**2
            for term_id in self._word_terms[word]:
                best[term_id] = max(best.get(term_id, 0.0), weight)
        return tuple(best.items())

    # ------------------------------------------------------------------ scoring

    def _document_scores(self, weights: dict[int, float]) -> FloatArray:
        indptr, rows, values = self._indptr, self._rows, self._values
        row_parts: list[RowArray] = []
        value_parts: list[FloatArray] = []
        for term_id, weight in weights.items():
            start, end = indptr[term_id], indptr[term_id + 1]
            row_parts.append(rows[start:end])
            value_parts.append(values[start:end] * np.float32(weight))
        if not row_parts:
            return np.zeros(self._size, dtype=np.float32)
        scores = np.bincount(
            np.concatenate(row_parts),
            weights=np.concatenate(value_parts),
            minlength=self._size,
        )
        return scores.astype(np.float32)

    def _locale_weights_for(self, locale: str) -> FloatArray:
        weights = self._locale_weights.get(locale)
        if weights is None:
            weights = np.asarray(
                [self._tuning.locale_weight(d, locale) for d in self._document_locales],
                dtype=np.float32,
            )
            self._locale_weights[locale] = weights
        return weights

    def _best(self, entry_scores: FloatArray, limit: int) -> list[SearchHit]:
        # Below this a score would print as 0.0: no evidence worth showing.
        candidates = np.flatnonzero(entry_scores >= _SHOWN_SCORE)
        if len(candidates) > limit:
            top = np.argpartition(-entry_scores[candidates], limit - 1)[:limit]
            candidates = candidates[top]
        ranked = sorted(candidates.tolist(), key=lambda i: (-entry_scores[i], self._slugs[i]))
        return [SearchHit(self._slugs[i], round(float(entry_scores[i]), 4)) for i in ranked]


def _add_word_terms(
    word_terms: dict[str, tuple[int, ...]], analyser: _DocumentAnalyser, vocabulary: dict[str, int]
) -> None:
    """Every word a locale indexed (folded), with the terms it was indexed under."""
    for word, term in analyser.words():
        term_id = vocabulary[term]
        known = word_terms.get(word, ())
        if term_id not in known:
            word_terms[word] = (*known, term_id)


@dataclass
class _Guesses:
    """How many more unknown words of this query may be matched to near known words."""

    remaining: int

    def take(self) -> bool:
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


class _DocumentAnalyser:
    """Term ids to index for one locale's documents, memoised per word (texts repeat words)."""

    def __init__(self, locale: str) -> None:
        self._locale = locale
        #: This locale's terms and skeletons, numbered in order of appearance.
        self.vocabulary: dict[str, int] = {}
        self.terms: list[str] = []
        # By word as written, then by folded token: most words of a text were seen before.
        self._memo: dict[str, tuple[int, ...]] = {}
        self._analysed: dict[str, tuple[str, ...]] = {}

    def term_ids(self, text: str) -> list[int]:
        indexed: list[int] = []
        memo = self._memo
        for word in raw_words(text):
            ids = memo.get(word)
            if ids is None:
                ids = memo[word] = self._word_ids(word)
            indexed.extend(ids)
        return indexed

    def _word_ids(self, word: str) -> tuple[int, ...]:
        ids: list[int] = []
        for token in word_tokens(word):
            for term in self._analyse(token):
                term_id = self.vocabulary.get(term)
                if term_id is None:
                    term_id = self.vocabulary[term] = len(self.terms)
                    self.terms.append(term)
                ids.append(term_id)
        return tuple(ids)

    def words(self) -> Iterator[tuple[str, str]]:
        """(word, term) of every word worth a fuzzy match: not numbers, not Chinese bigrams."""
        for word, terms in self._analysed.items():
            if terms and not word.isdecimal() and script_of(word) is not Script.HAN:
                yield word, terms[0]

    def _analyse(self, token: str) -> tuple[str, ...]:
        analysed = self._analysed.get(token)
        if analysed is None:
            analysed = self._analysed[token] = self._analyse_token(token)
        return analysed

    def _analyse_token(self, token: str) -> tuple[str, ...]:
        if is_stopword(token, self._locale):
            return ()
        term = document_term(token, self._locale)
        key = skeleton(token)
        if key is None:
            return (term,)
        prefix = _LATIN_SKELETON if script_of(token) is Script.LATIN else _OTHER_SKELETON
        return (term, prefix + key)


def _skeleton_across_scripts(token: str) -> str | None:
    """The skeleton term a query token looks for: one that came from another script."""
    key = skeleton(token)
    if key is None:
        return None
    return (_OTHER_SKELETON if script_of(token) is Script.LATIN else _LATIN_SKELETON) + key


def _unique_sorted(documents: Iterable[SearchDocument]) -> list[SearchDocument]:
    # One document per (slug, locale); a later one replaces an earlier one.
    unique = {(d.slug, d.locale): d for d in documents}
    return [unique[key] for key in sorted(unique)]


def _numbers_by_locale(documents: Sequence[SearchDocument]) -> dict[str, list[int]]:
    numbers: dict[str, list[int]] = {}
    for number, document in enumerate(documents):
        numbers.setdefault(document.locale, []).append(number)
    return numbers


def _locale_columns(
    analyser: _DocumentAnalyser, documents: list[SearchDocument], tuning: SearchTuning
) -> list[tuple[RowArray, RowArray, FloatArray]]:
    """(document, term, weighted BM25) of each field of one locale's documents.

    Term statistics are per locale: "de" is in every French text and nowhere else.
    """
    fields = [
        (field, [analyser.term_ids(_field_text(document, field)) for document in documents])
        for field in _FIELDS
    ]
    weighted: list[tuple[RowArray, RowArray, FloatArray]] = []
    for field, corpus in fields:
        scored = _bm25_columns(corpus, analyser.vocabulary, tuning)
        if scored is not None:
            rows, columns, values = scored
            weighted.append((rows, columns, values * np.float32(tuning.field_weight(field))))
    return weighted


def _field_text(document: SearchDocument, field: str) -> str:
    if field == "heading":
        return "\n".join((document.title, *document.keywords))
    return "\n".join((document.summary, document.body))


def _bm25_columns(
    corpus: list[list[int]], vocabulary: dict[str, int], tuning: SearchTuning
) -> tuple[RowArray, RowArray, FloatArray] | None:
    """BM25 weight of each (document, term id) of one field of one locale, as bm25s computes it."""
    if not any(corpus):
        return None
    model = bm25s.BM25(k1=tuning.k1, b=tuning.b, method="lucene")
    model.index((corpus, vocabulary), show_progress=False, create_empty_token=False)
    scores = model.scores
    indptr = np.asarray(scores["indptr"], dtype=np.int64)
    rows = np.asarray(scores["indices"], dtype=np.int32)
    values = np.asarray(scores["data"], dtype=np.float32)
    columns = np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))
    return rows, columns, values


def _sum_matrix(
    rows: list[RowArray],
    columns: list[RowArray],
    values: list[FloatArray],
    shape: tuple[int, int],
) -> sparse.csc_array:
    """One column per term; a term found in several fields of a document adds up."""
    if not rows:
        return sparse.csc_array(shape, dtype=np.float32)
    coo = sparse.coo_array(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))), shape=shape
    )
    matrix = coo.tocsc()
    matrix.sum_duplicates()
    return matrix
