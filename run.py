"""Start the Hypee server: `python run.py [--host H] [--port P] [--seed-demo]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from config import ConfigError, Settings, describe_settings
from hypee.embedded.datadir import DamagedStore, DataDirInUse, DataDirUnusable
from hypee.logs import setup_logging

log = logging.getLogger("hypee")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="The Hypee server. With no settings it runs in embedded mode: documents in "
        "a SQLite database under HYPEE_DATA_DIR, attachments on local disk.",
        epilog=describe_settings(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="address to listen on (overrides HYPEE_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides HYPEE_PORT)")
    parser.add_argument(
        "--seed-demo",
        action="store_true",
        help="fill an empty store with demo mentors and mentees, print their logins, and exit",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the stored data's invariants (exit 1 when one is broken), and exit",
    )
    parser.add_argument(
        "--backup",
        metavar="FILE",
        help="copy the embedded database to FILE (safe while the server runs), and exit",
    )
    parser.add_argument(
        "--openapi",
        action="store_true",
        help="print the OpenAPI document (with default settings: the web app's types come "
        "from it), and exit",
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="restore the stored data's invariants where they are broken, and exit",
    )
    for flag, verb in (("--grant", "give"), ("--revoke", "take")):
        parser.add_argument(
            flag,
            nargs=2,
            metavar=("ROLE", "EMAIL"),
            help=f"{verb} a staff role (admin or moderator) to the account of EMAIL, and exit; "
            "on the embedded store, stop the server first",
        )
    args = parser.parse_args(argv)
    for given in (args.grant, args.revoke):
        if given is not None and given[0] not in ("admin", "moderator"):
            parser.error(f"ROLE must be admin or moderator, not {given[0]!r}")
    return args


def describe_mode(settings: Settings) -> str:
    """The first log line: which stores this process uses."""
    if settings.embedded_store:
        documents = f"SQLite database in {settings.data_dir} (no MongoDB needed)"
    else:
        documents = f"MongoDB database {settings.mongo_db!r}"
    files = "local disk" if settings.local_storage else f"S3 bucket {settings.s3_bucket!r}"
    fan_out = "Redis" if settings.redis_url else "in-process"
    mode = "embedded mode" if settings.embedded_store else f"{settings.env} mode"
    return (
        f"starting in {mode}: documents in {documents}; attachments on {files}; fan-out {fan_out}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.openapi:
        from server.routes import openapi_document

        print(json.dumps(openapi_document(Settings()), indent=1, sort_keys=True))
        return 0
    try:
        settings = Settings.from_env()
        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
        settings = settings.replace(**overrides)
        settings.check_production()
    except ConfigError as exc:
        print(f"hypee: refusing to start: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    log.info(describe_mode(settings))
    try:
        if args.backup:
            from server.maintenance import backup_store

            return backup_store(settings, args.backup)
        if args.grant or args.revoke:
            from server.maintenance import set_staff_role

            role, email = args.grant or args.revoke
            return asyncio.run(set_staff_role(settings, role, email, held=bool(args.grant)))
        if args.check or args.repair:
            from server.maintenance import check_store

            return asyncio.run(check_store(settings, repair=args.repair))
        if args.seed_demo:
            from server.demo import seed_demo

            asyncio.run(seed_demo(settings))
        else:
            from server.process import serve

            asyncio.run(serve(settings))
    except DataDirInUse as exc:
        if args.grant or args.revoke:
            print(
                f"hypee: the server is running on {settings.data_dir}: stop it, run this "
                "again, then start it (on MongoDB this runs beside running servers)",
                file=sys.stderr,
            )
        else:
            print(f"hypee: refusing to start: {exc}", file=sys.stderr)
        return 2
    except (DamagedStore, DataDirUnusable) as exc:
        print(f"hypee: refusing to start: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
