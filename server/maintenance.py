"""`run.py --check`, `--repair` and `--backup`: the stored data, without serving anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from config import Settings
from hypee.db import Store
from hypee.embedded.datadir import DATABASE
from hypee.embedded.documents import UndecodableDocument
from models import migrations, users
from models.indexes import all_indexes
from server.lifecycle import build_services, open_store
from services.integrity import IntegrityService


async def check_store(settings: Settings, repair: bool) -> int:
    """Check (and with `repair`, restore) every invariant; prints a report. Exit code: 0 when
    the store is sound (after repairing), 1 when `--check` found something. `repair` also
    accepts the loss of acknowledged commits the embedded database no longer holds."""
    store = open_store(
        settings.replace(env="development") if settings.env == "test" else settings,
        accept_loss=repair,
    )
    services = build_services(settings, store)
    try:
        await store.ensure_indexes(all_indexes())
        migrated = await _migrate(store)
        integrity = IntegrityService(store, services.attachments)
        report = await integrity.run(repair)
        if repair and not migrated:
            await migrations.run(store.db)  # what damaged documents stopped, once set aside
        for line in report.lines(repaired=repair):
            print(line)
        if repair and not report.clean:
            after = await integrity.run(False)
            print("after repair: " + "; ".join(after.lines(repaired=False)))
            return 0 if after.clean else 1
        return 0 if report.clean else 1
    finally:
        services.passwords.close()
        services.storage.close()
        await store.close()


async def _migrate(store: Store) -> bool:
    """Run the migrations; False when a damaged document stopped them (the check reports it)."""
    try:
        await migrations.run(store.db)
    except UndecodableDocument:
        return False
    return True


def backup_store(settings: Settings, target: str) -> int:
    """Copy the embedded database to `target`, consistently, even while the server runs."""
    if not settings.embedded_store:
        print("--backup copies the embedded database; back MongoDB up with mongodump")
        return 2
    source_path = Path(settings.data_dir) / DATABASE
    if not source_path.exists():
        print(f"no database at {source_path}")
        return 2
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    print(f"backed up {source_path} to {target}")
    return 0


async def set_staff_role(settings: Settings, role: str, email: str, held: bool) -> int:
    """`run.py --grant ROLE EMAIL` / `--revoke ROLE EMAIL`: give or take a staff role, with its
    audit entry (no actor: the command line). On MongoDB it runs beside running servers; the
    embedded store must be stopped first (its data directory is locked while it serves), and
    DataDirInUse says so. Roles are read on every request, so it acts at once."""
    store = open_store(settings.replace(env="development") if settings.env == "test" else settings)
    services = build_services(settings, store)
    try:
        await store.ensure_indexes(all_indexes())
        user = await users.by_email(store.db, email)
        if user is None or user.get("deleted_at") is not None:
            print(f"no account has the address {email!r}")
            return 1
        reason = "granted" if held else "revoked"
        roles = await services.moderation.set_role(
            None, user["_id"], role, held, f"{reason} on the command line"
        )
        print(f"{email}: {role} {reason}; roles now: {', '.join(roles) or 'none'}")
        return 0
    finally:
        services.passwords.close()
        services.storage.close()
        await store.close()
