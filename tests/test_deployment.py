"""Compose and the image restart what exits and check the same /healthz the tests prove."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_bot_and_worker_restart_and_are_health_checked() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    checks = {"bot": "python -m bot healthcheck", "worker": "python -m bot healthcheck --worker"}
    for name in checks:
        service = services[name]
        assert service["restart"] == "unless-stopped", name
        assert " ".join(service["healthcheck"]["test"]) == f"CMD {checks[name]}", name
        assert service["stop_grace_period"] == "30s", name  # > BOT_SHUTDOWN_TIMEOUT_SECONDS
    assert services["bot"]["environment"]["BOT_WEBHOOK_PORT"] == "8080"


def test_the_health_check_command_follows_healthz() -> None:
    """The image's HEALTHCHECK: 1 while nothing answers on the port, for bot and worker."""
    env = {**os.environ, "BOT_WEBHOOK_PORT": "9", "BOT_WORKER_METRICS_PORT": "9"}
    for extra in ([], ["--worker"]):
        command = [sys.executable, "-m", "bot", "healthcheck", *extra]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60)
        assert done.returncode == 1, done.stderr
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "bot", "healthcheck"]' in dockerfile


def test_the_image_is_built_in_two_stages_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    build, runtime = dockerfile.split("FROM python:3.11-slim AS runtime")
    assert "FROM python:3.11-slim AS build" in build and "build-wheel.sh" in build
    assert "pip install --only-binary=:all: -r /tmp/requirements.lock" in runtime
    assert "pip install --no-deps /tmp/wheels/*.whl" in runtime and "-e " not in runtime
    assert "USER 10001" in runtime
    assert not any(tool in runtime for tool in ("gcc", "build-essential", "COPY bot"))


def test_fakeredis_is_not_a_runtime_dependency() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    assert "fakeredis" not in lock and "lupa" not in lock
    assert "fakeredis" in (ROOT / "requirements-dev.lock").read_text()


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="no `docker compose` here (no engine is needed: config only reads the file)",
)
def test_docker_compose_config_validates() -> None:
    done = subprocess.run(
        ["docker", "compose", "config", "--quiet"], cwd=ROOT, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()


def test_the_wheel_carries_catalogs_and_runs_installed_not_editable(tmp_path: Path) -> None:
    """What the image's first stage builds: installed into a bare folder, away from the
    checkout, the package finds its compiled catalogs, pages and demo scripts."""
    source = tmp_path / "src"
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "*.mo", "var", "build")
    )
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHON": sys.executable,
        "PIP_WHEEL_OPTIONS": "--no-build-isolation",  # offline: the venv's setuptools
    }
    wheels = tmp_path / "wheels"
    subprocess.run(
        ["bash", "scripts/build-wheel.sh", str(wheels)], cwd=source, env=env, check=True,
        capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("microloan_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for language in ("zh_Hans", "en", "ru"):
        assert f"bot/locales/{language}/LC_MESSAGES/messages.mo" in names
    assert {"bot/webapp/static/calculator.html", "bot/demo/tour.txt"} <= names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    probe = (
        "import bot.i18n as i; print(i.LOCALES_DIR); "
        "b = i.build_i18n('en'); print(sorted(b.locales))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        str(target / "bot" / "locales"),
        "['en', 'ru', 'zh_Hans']",
    ]


def test_the_image_and_the_makefile_install_the_charts_cjk_font() -> None:
    script = (ROOT / "scripts" / "ensure-fonts.sh").read_text()
    package = script.split('package="', 1)[1].split('"', 1)[0]
    assert (
        f"apt-get install -y --no-install-recommends {package}" in (ROOT / "Dockerfile").read_text()
    )
    makefile = (ROOT / "Makefile").read_text()
    assert "bash scripts/ensure-fonts.sh" in makefile
    assert all(
        f"{target}: $(INSTALLED) $(CATALOGS) fonts" in makefile for target in ("demo", "test")
    )
