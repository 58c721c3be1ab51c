"""Compose and the image restart what exits and check the same /healthz the tests prove."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_bot_and_worker_restart_and_are_health_checked() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    worker_port = services["worker"]["environment"]["BOT_WORKER_METRICS_PORT"]
    expected = {"bot": "8080", "worker": worker_port}
    for name, port in expected.items():
        service = services[name]
        assert service["restart"] == "unless-stopped", name
        check = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in check, name
    assert services["bot"]["environment"]["BOT_WEBHOOK_PORT"] == "8080"


def test_the_image_checks_the_bot_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "http://127.0.0.1:8080/healthz" in dockerfile


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
