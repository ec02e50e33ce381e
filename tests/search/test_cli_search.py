"""`passerelle kb search` and `kb eval`, driven like a terminal user or a script would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli_search import eval_command, search_command


def _entry(
    slug: str, fr: tuple[str, str, list[str]], en: tuple[str, str, list[str]]
) -> dict[str, object]:
    def translation(status: str, text: tuple[str, str, list[str]]) -> dict[str, object]:
        title, summary, keywords = text
        return {
            "status": status,
            "title": title,
            "summary": summary,
            "body": summary,
            "keywords": keywords,
        }

    return {
        "slug": slug,
        "kind": "service",
        "sources": [{"title": "Une source citée", "checked": "2026-11-27"}],
        "review_due": "2027-11-27",
        "translations": {"fr": translation("source", fr), "en": translation("machine", en)},
    }


@pytest.fixture
def content(tmp_path: Path) -> Path:
    directory = tmp_path / "content"
    directory.mkdir()
    entries = [
        _entry(
            "housing-115",
            ("Appeler le 115", "Le 115 trouve une place pour dormir.", ["115", "dormir"]),
            ("Call 115", "115 finds a place to sleep tonight.", ["115", "sleep"]),
        ),
        _entry(
            "french-courses",
            ("Cours de français", "Des cours de français gratuits.", ["cours", "français"]),
            ("French classes", "Free French classes in Paris.", ["French classes"]),
        ),
    ]
    for entry in entries:
        path = directory / f"{entry['slug']}.yaml"
        path.write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    return directory


def test_search_prints_ranked_slugs_with_titles(content: Path) -> None:
    result = CliRunner().invoke(
        search_command, ["cours de francais", "--lang", "fr", "--content", str(content)]
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("1. french-courses")
    assert first.endswith("Cours de français")


def test_search_json_gives_slugs_and_scores(content: Path) -> None:
    result = CliRunner().invoke(
        search_command,
        ["where to sleep", "--lang", "en", "--limit", "1", "--json", "--content", str(content)],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["query"] == "where to sleep"
    assert [hit["slug"] for hit in answer["results"]] == ["housing-115"]
    assert answer["results"][0]["score"] > 0


def test_jsonl_answers_one_line_per_request_in_order(content: Path) -> None:
    requests = [
        {"query": "115", "lang": "ar"},
        {"query": "cours de francais", "lang": "fr"},
        {"query": "!!!", "lang": "en"},
        {"query": "free french classes"},
    ]
    stdin = "\n".join(json.dumps(request, ensure_ascii=False) for request in requests) + "\n"
    result = CliRunner().invoke(
        search_command, ["--jsonl", "--lang", "en", "--content", str(content)], input=stdin
    )
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert [answer["query"] for answer in answers] == [r["query"] for r in requests]
    assert answers[0]["results"][0]["slug"] == "housing-115"
    assert answers[1]["results"][0]["slug"] == "french-courses"
    assert answers[2]["results"] == []
    assert answers[3]["results"][0]["slug"] == "french-courses"
    for answer in answers:
        scores = [hit["score"] for hit in answer["results"]]
        assert scores == sorted(scores, reverse=True)
        assert all(set(hit) == {"slug", "score"} for hit in answer["results"])


def test_jsonl_reports_a_bad_line_and_goes_on(content: Path) -> None:
    stdin = 'not json\n\n{"lang": "fr"}\n["a list"]\n{"query": "115", "lang": "fr"}\n'
    result = CliRunner().invoke(search_command, ["--jsonl", "--content", str(content)], input=stdin)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert len(answers) == 4  # the blank line is not a request
    assert all("error" in answer and answer["results"] == [] for answer in answers[:3])
    assert answers[3]["results"][0]["slug"] == "housing-115"


def test_a_query_and_jsonl_together_is_a_usage_error(content: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(search_command, ["115", "--jsonl"]).exit_code == 2
    assert runner.invoke(search_command, []).exit_code == 2


def test_a_broken_entry_file_is_reported_not_a_traceback(content: Path) -> None:
    (content / "broken.yaml").write_text("slug: broken\nkind: nonsense\n", encoding="utf-8")
    result = CliRunner().invoke(search_command, ["115", "--content", str(content)])
    assert result.exit_code == 1
    assert "broken.yaml" in result.output


def test_eval_prints_accuracy_per_locale_and_overall(content: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        yaml.safe_dump(
            {
                "questions": [
                    {"lang": "fr", "q": "ou dormir ce soir", "slugs": ["housing-115"]},
                    {"lang": "en", "q": "free french classes", "slugs": ["french-courses"]},
                    {"lang": "en", "q": "115", "slugs": ["missing-entry"]},
                ]
            }
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(eval_command, [str(questions), "--content", str(content), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["overall"] == {"questions": 3, "top1": round(2 / 3, 4), "top3": round(2 / 3, 4)}
    assert report["locales"]["fr"] == {"questions": 1, "top1": 1.0, "top3": 1.0}
    assert report["locales"]["en"] == {"questions": 2, "top1": 0.5, "top3": 0.5}
    assert report["meets_targets"] is False
    assert [miss["answerable"] for miss in report["misses"]] == [False]

    text = runner.invoke(eval_command, [str(questions), "--content", str(content), "--misses"])
    assert text.exit_code == 0
    assert "all" in text.output and "66.7%" in text.output
    assert "missing-entry" in text.output

    strict = runner.invoke(eval_command, [str(questions), "--content", str(content), "--strict"])
    assert strict.exit_code == 1


def test_eval_rejects_a_file_without_questions(content: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text("answers: []\n", encoding="utf-8")
    result = CliRunner().invoke(eval_command, [str(questions), "--content", str(content)])
    assert result.exit_code == 1
    assert "questions" in result.output


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from bot.settings import get_settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'passerelle.db'}"
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_without_content_the_knowledge_base_is_searched(database_url: str) -> None:
    """An empty database gets the bundled content first, as the bot does on start."""
    result = CliRunner().invoke(search_command, ["115", "--lang", "fr", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["results"][0]["slug"] == "housing-115"
