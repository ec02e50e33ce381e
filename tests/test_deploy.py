"""The deployment, checked without Docker (no daemon here): `compose.yaml` against the CLI
and the settings, the `Dockerfile`'s steps against pyproject and the web app, and every
setting documented in `.env.example` and README's configuration table."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import yaml
from click.testing import CliRunner

from bot.app import App
from bot.cli import cli
from bot.settings import Settings
from bot.web import build_web_app

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {f"PASSERELLE_{name.upper()}" for name in Settings.model_fields}
PASSERELLE_SERVICES = ("migrate", "serve")


# -- helpers -------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, as compose reads them."""

    def one(match: re.Match[str]) -> str:
        name, operator, rest = match["name"], match["op"], match["rest"]
        found = variables.get(name, "")
        if operator == ":?" and not found:
            raise AssertionError(f"{name} is required: {rest}")
        if operator == ":-" and not found:
            return rest or ""
        return found

    return re.sub(r"\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<rest>[^}]*))?\}", one, value)


def resolve(args: list[str]) -> tuple[click.Command, list[str]]:
    """The CLI command `passerelle ARGS` runs, and its own arguments."""
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group) and rest:
        found = command.get_command(click.Context(command), rest[0])
        assert found is not None, f"`passerelle {' '.join(args)}`: no command {rest[0]!r}"
        command, rest = found, rest[1:]
    return command, rest


def check_command(args: list[str]) -> None:
    """`args` is a `passerelle` command line the CLI accepts (options parsed, not run)."""
    assert args[0] == "passerelle", args
    command, rest = resolve(args[1:])
    assert not isinstance(command, click.Group), f"{args} names a group, not a command"
    command.make_context(command.name or "", list(rest))  # raises on a wrong option
    words = [arg for arg in args[1:] if not arg.startswith("-") and arg not in rest]
    shown = CliRunner().invoke(cli, [*words, "--help"])
    assert shown.exit_code == 0, shown.output


async def get(app: App, path: str) -> int:
    transport = httpx.ASGITransport(app=build_web_app(app, []))
    async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
        return (await client.get(path)).status_code


HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(?P<port>\d+)(?P<path>/[\w/]*)")


async def check_healthcheck(app: App, argv: list[str], port: int) -> None:
    """A Python one-liner that GETs a route `passerelle serve` answers 200, on its port."""
    assert argv[:2] == ["python", "-c"], f"no curl in a slim image: {argv}"
    compile(argv[2], "<healthcheck>", "exec")
    found = HEALTH_URL.search(argv[2])
    assert found is not None, argv
    assert int(found["port"]) == port
    assert await get(app, found["path"]) == 200


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


# -- compose -------------------------------------------------------------------------------


def test_compose_starts_postgres_with_a_named_volume_and_a_healthcheck() -> None:
    loaded = compose()
    postgres = loaded["services"]["postgres"]
    assert str(postgres["image"]).startswith("postgres:")
    volume, target = str(postgres["volumes"][0]).split(":", 1)
    assert volume in loaded["volumes"], "a named volume, declared"
    assert target == "/var/lib/postgresql/data"
    test = postgres["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and "pg_isready" in " ".join(test[1:])


def test_compose_runs_the_migrations_once_before_serve() -> None:
    services = compose()["services"]
    migrate, serve = services["migrate"], services["serve"]
    assert migrate["command"] == ["passerelle", "db", "upgrade"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate.get("restart", "no") == "no"
    assert migrate["healthcheck"] == {"disable": True}
    assert serve["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    # The job runner lives in `serve`: no other Passerelle service to forget.
    assert {name for name, s in services.items() if "build" in s} == set(PASSERELLE_SERVICES)


@pytest.mark.parametrize("name", PASSERELLE_SERVICES)
def test_compose_commands_exist_in_the_cli(name: str) -> None:
    service = compose()["services"][name]
    assert service["build"] == "." and (ROOT / "Dockerfile").is_file()
    assert service["image"]
    check_command(service["command"])


@pytest.mark.parametrize("name", PASSERELLE_SERVICES)
def test_compose_environment_is_complete_and_valid(name: str) -> None:
    loaded = compose()
    service = loaded["services"][name]
    postgres = loaded["services"]["postgres"]["environment"]
    assert service["env_file"] == ".env" and (ROOT / ".env.example").is_file()
    environment = {key: str(value) for key, value in service["environment"].items()}
    assert set(environment) <= SETTINGS, "only real settings"
    # Required: without it the container would write SQLite into its own throwaway layer.
    url = interpolate(environment["PASSERELLE_DATABASE_URL"], {"POSTGRES_PASSWORD": "pw123"})
    assert url == (
        f"postgresql+asyncpg://{postgres['POSTGRES_USER']}:pw123@postgres:5432/"
        f"{postgres['POSTGRES_DB']}"
    )
    assert "${POSTGRES_PASSWORD:?" in environment["PASSERELLE_DATABASE_URL"], "never a default"
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD is required"):
        interpolate(environment["PASSERELLE_DATABASE_URL"], {})
    resolved = {k: interpolate(v, {"POSTGRES_PASSWORD": "pw123"}) for k, v in environment.items()}
    Settings.model_validate({k.removeprefix("PASSERELLE_").lower(): v for k, v in resolved.items()})


async def test_compose_serve_is_healthchecked_published_and_stopped_gently(app: App) -> None:
    serve = compose()["services"]["serve"]
    port = int(option(serve["command"], "--port"))
    test = serve["healthcheck"]["test"]
    assert test[0] == "CMD"
    await check_healthcheck(app, test[1:], port)
    assert any(str(p).endswith(f":{port}") for p in serve["ports"])
    grace = int(str(serve["stop_grace_period"]).removesuffix("s"))
    assert grace >= 30, "requests (20 s), then handling and sends (10 s)"


# -- Dockerfile ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    instruction: str
    arguments: str


def dockerfile_stages() -> list[list[Step]]:
    """The Dockerfile's steps, per stage (continuations joined, comments dropped)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    stages: list[list[Step]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        step = Step(instruction.upper(), arguments.strip())
        if step.instruction == "FROM":
            stages.append([])
        assert stages, "the Dockerfile starts with FROM"
        stages[-1].append(step)
    return stages


def exec_form(arguments: str) -> list[str]:
    parsed = json.loads(arguments)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed)
    return parsed


def test_the_image_is_slim_python_of_the_project_s_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = project["requires-python"].removeprefix(">=")
    for stage in dockerfile_stages():
        image = stage[0].arguments.split()[0]
        assert image == f"python:{version}-slim", image


def test_the_image_runs_as_a_user_who_is_not_root() -> None:
    final = dockerfile_stages()[-1]
    names = [step.instruction for step in final]
    users = [step.arguments for step in final if step.instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert names.index("USER") < names.index("CMD")
    created = " ".join(s.arguments for s in final if s.instruction == "RUN")
    assert re.search(rf"useradd\b.*\b{re.escape(users[-1])}\b", created)


async def test_the_image_s_command_and_healthcheck_exist(app: App) -> None:
    final = dockerfile_stages()[-1]
    [cmd] = [exec_form(s.arguments) for s in final if s.instruction == "CMD"]
    check_command(cmd)
    [healthcheck] = [s.arguments for s in final if s.instruction == "HEALTHCHECK"]
    flags, _, command = healthcheck.partition("CMD ")
    assert re.search(r"--timeout=\d+s", flags) and re.search(r"--interval=\d+s", flags)
    await check_healthcheck(app, exec_form(command), int(option(cmd, "--port")))
    exposed = [s.arguments for s in final if s.instruction == "EXPOSE"]
    assert exposed == [option(cmd, "--port")]


def test_the_image_copies_every_package_and_module_of_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    wanted = {pattern.rstrip("*") for pattern in config["packages"]["find"]["include"]}
    wanted |= {f"{module}.py" for module in config.get("py-modules", [])}
    # Read at run time beside the packages (dialogs/i18n.py), and needed to install.
    wanted |= {"translations", "pyproject.toml", "README.md"}
    copied: set[str] = set()
    for stage in dockerfile_stages():
        for step in stage:
            if step.instruction == "COPY" and not step.arguments.startswith("--from"):
                sources = shlex.split(step.arguments)[:-1]
                copied |= {source.rstrip("/") for source in sources}
    assert wanted <= copied, f"not copied: {sorted(wanted - copied)}"
    for name in wanted:
        assert (ROOT / name).exists(), name
    # Everything the build stage made reaches the final image.
    final = dockerfile_stages()[-1]
    assert any(s.instruction == "COPY" and s.arguments.split()[-1] == "/app" for s in final)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored and ".venv" in ignored, "no secret nor local state in the image"


# -- every setting documented ----------------------------------------------------------------


def test_every_setting_is_in_env_example_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    listed: set[str] = set()
    for number, line in enumerate(lines):
        found = re.fullmatch(r"#? ?(PASSERELLE_[A-Z0-9_]+)=.*", line)
        if found is None:
            continue
        listed.add(found[1])
        before = lines[number - 1] if number else ""
        assert before.startswith("# ") and not re.match(r"# ?[A-Z_]+=", before), (
            f".env.example line {number + 1}: {found[1]} needs a comment line above it"
        )
    assert listed == SETTINGS, (
        f"missing: {sorted(SETTINGS - listed)}, unknown: {sorted(listed - SETTINGS)}"
    )


def test_env_example_as_it_is_gives_valid_settings(tmp_path: Path) -> None:
    example = tmp_path / ".env"
    example.write_text((ROOT / ".env.example").read_text(encoding="utf-8"))
    Settings(_env_file=example)


def test_every_setting_is_in_readme_s_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `PASSERELLE_")]
    listed = {re.match(r"\| `(PASSERELLE_[A-Z0-9_]+)`", row)[1] for row in rows}  # type: ignore[index]
    assert listed == SETTINGS, (
        f"missing: {sorted(SETTINGS - listed)}, unknown: {sorted(listed - SETTINGS)}"
    )
