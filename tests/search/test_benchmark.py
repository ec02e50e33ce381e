"""The search benchmark runs end to end at a small size (its figures are not judged here)."""

from __future__ import annotations

import json

import pytest

from benchmarks.search_bench import LOCALES, main, make_documents, make_queries, run


def test_synthetic_documents_cover_every_locale_and_field() -> None:
    documents = make_documents(3, LOCALES, seed=1)
    assert len(documents) == 3 * len(LOCALES)
    assert {d.locale for d in documents} == set(LOCALES)
    assert all(d.title and d.summary and d.body and d.keywords for d in documents)
    queries = make_queries(documents, 20, seed=1)
    assert len(queries) == 20 and all(q.text for q in queries)


def test_a_small_run_prints_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--entries", "8", "--queries", "40"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert figures["documents"] == 8 * len(LOCALES)
    assert figures["queries"] == 40
    for key in ("build_s", "p50_ms", "p99_ms", "rss_mb", "search_tracemalloc_peak_mb"):
        assert figures[key] >= 0
    assert figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]


def test_run_returns_the_figures() -> None:
    assert run(entries=4, queries=10, seed=3)["entries"] == 4
