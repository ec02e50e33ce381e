"""CPU per Telegram update: Passerelle against a bare python-telegram-bot bot, same stream.

A fake Bot API (tests/telegram/fake_api.py) runs in its own process and plays
many people at once. Each person waits for the bot's answer before acting
again, and acts as people do: presses a button of the last keyboard (menus,
cards, pages, back), types a question in their language, opens a deep link,
sends a location or a voice note. The stream this produces with Passerelle is
recorded and then replayed, update for update, to a bare PTB bot that answers
every update with one `sendMessage`, with PTB's default settings (httpx,
`Application`, long polling).

Each bot runs in a fresh process; its CPU time (`time.process_time`, every
thread of the process) is measured around the processing of the stream, after
a warm-up stream (20 people, 6 actions each: every locale and path used once,
so one-off costs stay out of the measure). The two bots run in alternated
rounds (five by default, each Passerelle round on a fresh database); the
ratio is that of each bot's fastest round (other work on a shared machine
only ever adds CPU time), and every round's cost and the medians' ratio are
printed too. Passerelle runs as `passerelle run` does: long
polling, the outbox retrier on, a fresh SQLite database. Flood limits are
lifted by default (the fake has none, and a bare PTB bot has none either);
`--telegram-limits` runs with Telegram's real ones.

    python benchmarks/telegram_bench.py [--people 100] [--actions 12] [--rounds 3]

prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from queue import Empty
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.telegram.fake_api import ApiError, FakeBotApi  # noqa: E402

T = TypeVar("T")
TOKEN = "123:abc"
#: Seconds a person waits for an answer before acting anyway (counted as a stall).
PATIENCE = 30.0
PARIS = (48.8566, 2.3522)


# -- the people (in the fake Bot API's process) ---------------------------------------------------


@dataclass
class Person:
    chat_id: int
    rng: random.Random
    budget: int
    hint: str
    locale: str = "fr"
    waiting: bool = False
    script: deque[dict[str, Any]] | None = None
    timer: asyncio.TimerHandle | None = None


@dataclass
class Phase:
    people: list[int]
    actions: int
    seed: int


@dataclass
class Stats:
    updates: int = 0
    stalls: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


class People(FakeBotApi):
    """The fake Bot API, driving people who wait for each answer before acting again."""

    def __init__(
        self,
        answer_is_keyboard: bool,
        slugs: list[str],
        questions: dict[str, list[str]],
        locales: list[str],
        recorded: dict[int, list[dict[str, Any]]] | None = None,
    ) -> None:
        super().__init__(TOKEN)
        self.answer_is_keyboard = answer_is_keyboard
        self.slugs = slugs
        self.questions = questions
        self.locales = locales
        self.replay = recorded
        self.recorded: dict[int, list[dict[str, Any]]] = {}
        self.people: dict[int, Person] = {}
        self.stats = Stats()
        self._active = 0
        self._finished = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def play(self, phase: Phase) -> None:
        self._finished.clear()
        self._active = len(phase.people)
        for chat_id in phase.people:
            rng = random.Random(phase.seed * 1_000_003 + chat_id)
            person = Person(chat_id, rng, phase.actions, hint=rng.choice(self.locales))
            if self.replay is not None:
                person.script = deque(self.replay.get(chat_id, []))
                person.budget = len(person.script)
            self.people[chat_id] = person
            self.messages(chat_id)
        for chat_id in phase.people:
            await self._act(self.people[chat_id])
        await self._finished.wait()

    async def _act(self, person: Person) -> None:
        if person.budget <= 0:
            self._active -= 1
            if self._active == 0:
                self._finished.set()
            return
        person.budget -= 1
        person.waiting = True
        person.timer = asyncio.get_running_loop().call_later(PATIENCE, self._stalled, person)
        if person.script is not None:
            await self._queue(dict(person.script.popleft()))
        else:
            await self._choose(person)

    def _stalled(self, person: Person) -> None:
        self.stats.stalls += 1
        self._answered(person)

    def _answered(self, person: Person) -> None:
        person.waiting = False
        if person.timer is not None:
            person.timer.cancel()
        task = asyncio.create_task(self._act(person))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _choose(self, person: Person) -> None:
        """One thing a person does, given what the bot shows them."""
        chat, rng = person.chat_id, person.rng
        keyboard = self.last_keyboard(chat)
        roll = rng.random()
        if keyboard is None:
            text = "/start" if roll < 0.8 else f"/start e-{rng.choice(self.slugs)}"
            await self._send(person, "start", text)
        elif roll < 0.6:
            buttons = [b for row in keyboard.keyboard for b in row if b.data != "~n"]
            button = rng.choice(buttons)
            if button.data.startswith("lang:"):
                person.locale = button.data.partition(":")[2]
            self.stats.kinds["press"] += 1
            await self.press(chat, keyboard, button.data, person.hint)
        elif roll < 0.85:
            asked = self.questions.get(person.locale) or self.questions["fr"]
            await self._send(person, "question", rng.choice(asked))
        elif roll < 0.9:
            await self._send(person, "command", "/menu")
        elif roll < 0.94:
            await self._send(person, "deep_link", f"/start e-{rng.choice(self.slugs)}")
        elif roll < 0.97:
            self.stats.kinds["location"] += 1
            latitude = PARIS[0] + rng.uniform(-0.05, 0.05)
            longitude = PARIS[1] + rng.uniform(-0.05, 0.05)
            await self.send_location(chat, latitude, longitude)
        else:
            self.stats.kinds["media"] += 1
            await self.send_media(chat, rng.choice(["voice", "photo", "sticker"]))

    async def _send(self, person: Person, kind: str, text: str) -> None:
        self.stats.kinds[kind] += 1
        await self.send_text(person.chat_id, text, person.hint)

    async def _queue(self, update: dict[str, Any]) -> int:
        self.stats.updates += 1
        chat_id = _chat_of(update)
        if self.replay is None:
            self.recorded.setdefault(chat_id, []).append(dict(update))
        return await super()._queue(update)

    def observed(self, method: str, params: dict[str, Any], error: ApiError | None) -> None:
        person = self.people.get(params.get("chat_id", 0))
        if person is None or not person.waiting:
            return
        if self.answer_is_keyboard:
            # Passerelle's answers end with a keyboard: sent, or a menu redrawn in place.
            done = method.startswith("editMessage") or (
                method == "sendMessage" and "reply_markup" in params
            )
        else:
            done = method == "sendMessage"
        if done:
            self._answered(person)


def _chat_of(update: dict[str, Any]) -> int:
    if "message" in update:
        return int(update["message"]["chat"]["id"])
    return int(update["callback_query"]["from"]["id"])


def _pin(cpu: int) -> None:
    """Keep this process on one core, the other bot or fake on the other, where there are two:
    two busy processes sharing a core cost each other CPU time (caches), unevenly."""
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2:
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[cpu % len(cores)]})


def serve_people(
    url_queue: Queue[str],
    results: Queue[dict[str, Any]],
    ready: Event,
    warmed: Event,
    go: Event,
    done: Event,
    phases: tuple[Phase, Phase],
    stream_path: str,
    replay: bool,
) -> None:
    """The fake Bot API's process: serve, play the warm-up, then the measured stream."""
    _pin(1)
    slugs = sorted(path.stem for path in (ROOT / "knowledge" / "content").glob("*.yaml"))
    questions = _questions()
    locales = sorted(questions)
    recorded = None
    if replay:
        raw = json.loads(Path(stream_path).read_text(encoding="utf-8"))
        recorded = {int(chat): updates for chat, updates in raw.items()}

    async def main() -> None:
        api = People(
            answer_is_keyboard=not replay,
            slugs=slugs,
            questions=questions,
            locales=locales,
            recorded=recorded,
        )
        url_queue.put(await api.start())
        await asyncio.to_thread(ready.wait)
        await api.play(phases[0])
        warmed.set()
        await asyncio.to_thread(go.wait)
        api.stats = Stats()
        api.errors.clear()
        first_call = len(api.calls)
        await api.play(phases[1])
        done.set()
        calls = Counter(call.method for call in api.calls[first_call:])
        if not replay:
            stream = json.dumps(api.recorded)
            await asyncio.to_thread(Path(stream_path).write_text, stream, encoding="utf-8")
        cards = sum(
            1
            for messages in api.chats.values()
            for message in messages
            if message.from_bot and any(tag == "b" for tag, *_ in message.entities)
        )
        results.put(
            {
                "updates": api.stats.updates,
                "stalls": api.stats.stalls,
                "kinds": dict(api.stats.kinds),
                "api_errors": [
                    e.description for e in api.errors if "not modified" not in e.description
                ][:5],
                "cards": cards,
                "calls": dict(calls),
            }
        )
        await asyncio.sleep(0.5)
        await api.stop()

    asyncio.run(main())


def _questions() -> dict[str, list[str]]:
    import yaml

    data = yaml.safe_load((ROOT / "tests" / "data" / "questions.yaml").read_text("utf-8"))
    found: dict[str, list[str]] = {}
    for item in data["questions"]:
        found.setdefault(str(item["lang"]), []).append(str(item["q"]))
    return found


# -- the bots (each in a fresh process) ------------------------------------------------------------


async def _measure(ready: Event, warmed: Event, go: Event, done: Event) -> float:
    ready.set()
    await asyncio.to_thread(warmed.wait)
    started = time.process_time()
    go.set()
    await asyncio.to_thread(done.wait)
    return time.process_time() - started


def run_passerelle(
    api_url: str,
    database: str,
    real_limits: bool,
    ready: Event,
    warmed: Event,
    go: Event,
    done: Event,
    results: Queue[dict[str, Any]],
) -> None:
    import logging

    _pin(0)
    from bot.app import build_app, settle_for_serving
    from bot.channels.base import OutboxRetrier
    from bot.channels.telegram import FloodLimits, TelegramChannel
    from bot.settings import Settings

    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("bm25s").setLevel(logging.ERROR)

    async def main() -> None:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{database}",
            telegram_token=TOKEN,
            telegram_api_url=api_url,
            log_level="ERROR",
            _env_file=None,
        )
        app = await build_app(settings)
        settle_for_serving()
        limits = FloodLimits() if real_limits else FloodLimits(0, 1, 0, 1)
        channel = TelegramChannel(app, webhook=False, limits=limits)
        retrier = OutboxRetrier(app.outbox, channel)
        await channel.start()
        retrier.start()
        cpu = await _measure(ready, warmed, go, done)
        await channel.drain()
        await retrier.stop()
        await channel.stop()
        await app.close()
        results.put({"cpu": cpu})

    asyncio.run(main())


def run_bare_ptb(
    api_url: str,
    ready: Event,
    warmed: Event,
    go: Event,
    done: Event,
    results: Queue[dict[str, Any]],
) -> None:
    _pin(0)
    from telegram import Update
    from telegram.ext import Application, ContextTypes, TypeHandler

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, "ok")

    async def main() -> None:
        application = (
            Application.builder()
            .token(TOKEN)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .build()
        )
        application.add_handler(TypeHandler(Update, answer))
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling()
            cpu = await _measure(ready, warmed, go, done)
            await application.updater.stop()
            await application.stop()
        results.put({"cpu": cpu})

    asyncio.run(main())


# -- the run ---------------------------------------------------------------------------------------


def _one_run(
    bot: str, phases: tuple[Phase, Phase], stream: Path, workdir: Path, real_limits: bool
) -> tuple[dict[str, Any], dict[str, Any], float]:
    context = multiprocessing.get_context("spawn")
    url_queue: Queue[str] = context.Queue()
    api_results: Queue[dict[str, Any]] = context.Queue()
    bot_results: Queue[dict[str, Any]] = context.Queue()
    ready, warmed, go, done = (context.Event() for _ in range(4))
    replay = bot == "bare"
    api = context.Process(
        target=serve_people,
        args=(url_queue, api_results, ready, warmed, go, done, phases, str(stream), replay),
    )
    api.start()
    url = _result(url_queue, [api])
    if bot == "passerelle":
        target: Any = run_passerelle
        args: tuple[Any, ...] = (url, str(workdir / "bench.db"), real_limits)
    else:
        target, args = run_bare_ptb, (url,)
    process = context.Process(target=target, args=(*args, ready, warmed, go, done, bot_results))
    started = time.perf_counter()
    process.start()
    try:
        measured = _result(bot_results, [process, api])
        wall = time.perf_counter() - started
        served = _result(api_results, [api])
    finally:
        for child in (process, api):
            child.join(30)
            if child.is_alive():
                child.terminate()
    return measured, served, wall


def _result(queue: Queue[T], processes: list[BaseProcess]) -> T:
    """What a child process reports; an error if one of them dies first."""
    while True:
        try:
            return queue.get(timeout=1.0)
        except Empty:
            dead = [child for child in processes if not child.is_alive()]
            if dead:
                message = f"benchmark process exited with code {dead[0].exitcode}"
                raise RuntimeError(message) from None


def _per_update(served: dict[str, Any]) -> dict[str, float]:
    updates = max(served["updates"], 1)
    return {method: round(n / updates, 2) for method, n in sorted(served["calls"].items())}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--actions", type=int, default=12, help="updates per person")
    parser.add_argument("--warmup-people", type=int, default=20)
    parser.add_argument("--warmup-actions", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of both bots, alternated")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--telegram-limits", action="store_true", help="30/s overall, 1/s a chat")
    options = parser.parse_args(argv)
    warm = Phase(list(range(1, options.warmup_people + 1)), options.warmup_actions, options.seed)
    first = options.warmup_people + 1
    measured = Phase(list(range(first, first + options.people)), options.actions, options.seed + 1)
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="passerelle-bench-") as tmp:
        for number in range(max(1, options.rounds)):
            workdir = Path(tmp) / str(number)
            workdir.mkdir()
            stream = workdir / "stream.json"
            ours, served, our_wall = _one_run(
                "passerelle", (warm, measured), stream, workdir, options.telegram_limits
            )
            bare, replayed, bare_wall = _one_run(
                "bare", (warm, measured), stream, workdir, options.telegram_limits
            )
            rounds.append(
                {
                    "ours_ms": ours["cpu"] / max(served["updates"], 1) * 1000,
                    "bare_ms": bare["cpu"] / max(replayed["updates"], 1) * 1000,
                    "ours_wall": our_wall,
                    "bare_wall": bare_wall,
                    "served": served,
                    "replayed": replayed,
                    "stalls": served["stalls"] + replayed["stalls"],
                }
            )
    # Each bot's best round, as timeit advises: on a shared machine, other work only ever
    # adds CPU time (measured here: a fixed loop took from 1x to 2.6x its usual time, in
    # bursts), so the fastest round is the closest to the code's own cost. The medians
    # are printed too.
    ours_rounds = [r["ours_ms"] for r in rounds]
    bare_rounds = [r["bare_ms"] for r in rounds]
    ours_ms, bare_ms = min(ours_rounds), min(bare_rounds)
    served = rounds[0]["served"]
    result = {
        "benchmark": "telegram",
        "path": "long polling (getUpdates), both bots",
        "people": options.people,
        "updates": served["updates"],
        "mix": served["kinds"],
        "cards_sent": served["cards"],
        "rounds": len(rounds),
        "passerelle_cpu_ms_per_update": round(ours_ms, 3),
        "bare_ptb_cpu_ms_per_update": round(bare_ms, 3),
        "ratio": round(ours_ms / bare_ms, 3) if bare_ms else None,
        "median_ratio": round(statistics.median(ours_rounds) / statistics.median(bare_rounds), 3)
        if bare_ms
        else None,
        "passerelle_rounds_ms": [round(value, 3) for value in ours_rounds],
        "bare_ptb_rounds_ms": [round(value, 3) for value in bare_rounds],
        "target_ratio": 0.5,
        # Bot API calls per update in the first round (getUpdates included): the bulk of
        # what either bot spends beyond its own code.
        "passerelle_calls_per_update": _per_update(rounds[0]["served"]),
        "bare_ptb_calls_per_update": _per_update(rounds[0]["replayed"]),
        "passerelle_wall_s": round(statistics.median(r["ours_wall"] for r in rounds), 1),
        "bare_ptb_wall_s": round(statistics.median(r["bare_wall"] for r in rounds), 1),
        "stalls": sum(r["stalls"] for r in rounds),
        "api_errors": [e for r in rounds for e in r["served"]["api_errors"]][:5],
        "telegram_limits": options.telegram_limits,
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
