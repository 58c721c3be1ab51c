"""`python -m bot`: run, demo, schedule, sandbox, worker."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure_logging
from bot.schedule_cli import add_arguments as add_schedule_arguments
from bot.schedule_cli import run as run_schedule


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Micro-loan assistant")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot against Telegram (needs BOT_TOKEN)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")

    demo = commands.add_parser("demo", help="a terminal chat with seeded users; no token")
    demo.add_argument("--script", help="run the lines of this file and print the transcript")
    demo.add_argument("--as", dest="user", default="merchant", help="the user to start as")
    demo.add_argument(
        "--web",
        nargs="?",
        type=int,
        const=8088,
        metavar="PORT",
        help="serve the Mini Apps on localhost (port 8088, 0: any free one) and print them",
    )

    schedule = commands.add_parser("schedule", help="the loan calculator on the command line")
    add_schedule_arguments(schedule)

    commands.add_parser("worker", help="reminders, SLA escalations and outbox delivery")
    health = commands.add_parser("healthcheck", help="exit 0 when this process's /healthz is 200")
    health.add_argument(
        "--worker", action="store_true", help="the worker's (port BOT_WORKER_METRICS_PORT)"
    )
    sandbox = commands.add_parser("sandbox", help="the embedded sandbox bank")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve the sandbox bank's REST API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8081)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "schedule":
        return run_schedule(args)
    settings = load_settings()
    configure_logging(settings.log_format)
    if args.command in ("run", "worker"):
        settings.require_token()
    if args.command in ("run", "worker", "sandbox"):
        settings.require_sms_delivery()  # before anything starts: codes never go to a log
    if args.command == "run":
        from bot.runners import run

        asyncio.run(run(settings, webhook=args.webhook))
        return 0
    if args.command == "demo":
        from bot.demo.terminal import run_demo

        demo = run_demo(settings, script=args.script, user=args.user, web_port=args.web)
        return int(asyncio.run(demo))
    if args.command == "worker":
        from bot.background import run_worker

        asyncio.run(run_worker(settings))
        return 0
    if args.command == "sandbox":
        return _serve_sandbox(settings, args.host, args.port)
    if args.command == "healthcheck":
        return _healthcheck(settings, worker=args.worker)
    print(f"`{args.command}` is not built yet.", file=sys.stderr)
    return 2


def _serve_sandbox(settings: Settings, host: str, port: int) -> int:
    from bot.sms_channel import outbound_sms
    from integrations.bank.rest_server import serve

    token = settings.bank_api_token.get_secret_value() if settings.bank_api_token else ""
    if not token:
        raise SettingsError("BOT_BANK_API_TOKEN is not set: the sandbox API needs a bearer token")
    print(f"sandbox bank API on http://{host}:{port} (OpenAPI: /openapi.json)", file=sys.stderr)
    asyncio.run(serve(host, port, str(settings.sandbox_db), token, outbound_sms(settings)))
    return 0


def _healthcheck(settings: Settings, *, worker: bool) -> int:
    """The containers' health check: 0 when /healthz on loopback answers 200, else 1."""
    from bot.health import probe

    port = settings.worker_metrics_port if worker else settings.webhook_port
    if port is None:
        raise SettingsError("BOT_WORKER_METRICS_PORT is not set: the worker serves no /healthz")
    return 0 if probe(f"http://127.0.0.1:{port}/healthz") else 1
