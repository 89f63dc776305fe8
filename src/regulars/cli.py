"""`regulars ...`: serve, migrate, demo, merchant create, import, export, backup, restore,
copy-to."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import typer

from regulars.settings import Settings

app = typer.Typer(help="Regulars: customer loyalty and retention.", no_args_is_help=True)
merchant_app = typer.Typer(help="Merchants (shops) in this deployment.", no_args_is_help=True)
import_app = typer.Typer(help="Bring data in from CSV.", no_args_is_help=True)
export_app = typer.Typer(help="Take data out as CSV.", no_args_is_help=True)
codes_app = typer.Typer(help="Coupon codes.", no_args_is_help=True)
app.add_typer(merchant_app, name="merchant")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(codes_app, name="codes")


def _settings() -> Settings:
    from regulars.kit import logging as logs

    settings = Settings.from_env()
    logs.configure(settings.log_level)
    return settings


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from regulars.db import Database

    return Database(settings.database_url)


def _ensure_var(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from regulars.migrate import upgrade

    settings = _settings()
    _ensure_var(settings)
    upgrade(settings.database_url)
    typer.echo("database is at the latest schema")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port"),
    workers: int = typer.Option(1, help="Worker processes (PostgreSQL only; SQLite wants 1)"),
) -> None:
    """Serve the API, staff pages, POS screen and customer portal."""
    from regulars.serve import run

    settings = _settings()
    _ensure_var(settings)
    run(host, port, workers)


@app.command()
def demo(
    url: str = typer.Option(
        "http://127.0.0.1:8000", help="Where the server will answer (for the printed addresses)"
    ),
) -> None:
    """Seed the two demo shops if the database is empty; print a staff login and a fresh API key."""
    from regulars import demo as demo_data
    from regulars.migrate import upgrade

    settings = _settings()
    _ensure_var(settings)
    upgrade(settings.database_url)  # idempotent; a fresh directory needs the schema first
    db = _database(settings)
    creds = demo_data.seed_if_empty(db, base_url=url)
    typer.echo(json.dumps(creds, indent=2, ensure_ascii=False))


@merchant_app.command("create")
def merchant_create(
    name: str = typer.Option(..., help="Shop name"),
    currency: str = typer.Option(..., help="ISO 4217, e.g. MMK"),
    timezone: str = typer.Option(..., help="IANA zone, e.g. Asia/Yangon"),
    locale: str = typer.Option("en", help="Default language: en, my, ur, lo, ms"),
    country: str = typer.Option(..., help="ISO 3166 alpha-2, e.g. MM"),
    owner_email: str = typer.Option(None, help="Owner's login (default owner@<slug>.local)"),
    owner_password: str = typer.Option(None, help="Owner's password (default: generated)"),
) -> None:
    """Create a merchant; prints one JSON object with merchant_id, api_key and the staff login."""
    from pydantic import ValidationError

    from regulars.merchants import service
    from regulars.merchants.schemas import MerchantCreate

    settings = _settings()
    db = _database(settings)
    try:
        data = MerchantCreate(
            name=name, currency=currency, timezone=timezone, locale=locale, country=country
        )
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"{'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    password = owner_password or secrets.token_urlsafe(12)
    slug_hint = data.name.lower().replace(" ", "-")[:20]
    email = owner_email or f"owner@{slug_hint}.local"
    merchant, owner, api_key = db.run(lambda s: service.create_merchant(s, data, email, password))
    out = {
        "merchant_id": str(merchant.id),
        "slug": merchant.slug,
        "api_key": api_key,
        "staff_login": {"email": owner.email, "password": password, "role": "owner"},
    }
    typer.echo(json.dumps(out, ensure_ascii=False))


def _merchant_ctx(db, slug: str):  # type: ignore[no-untyped-def]
    from regulars.kit.context import SYSTEM, Ctx
    from regulars.merchants import service

    merchant = db.run(lambda s: service.merchant_by_slug(s, slug), write=False)
    return Ctx(merchant, SYSTEM)


@import_app.command("customers")
def import_customers(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with a header row"),
    merchant: str = typer.Option(..., help="Merchant slug"),
    merge: bool = typer.Option(False, help="Merge rows whose phone/email already exists"),
    report: Path = typer.Option(None, help="Where to write the row-by-row report CSV"),
    signup_bonus: bool = typer.Option(
        False, help="Give each new customer the program's sign-up points"
    ),
) -> None:
    """Import customers; every row is imported, merged or rejected with its reason."""
    from regulars.customers.imports import importer

    settings = _settings()
    db = _database(settings)
    ctx = _merchant_ctx(db, merchant)
    summary = importer.import_file_cli(
        db, ctx, file, merge=merge, report_path=report, signup_bonus=signup_bonus
    )
    typer.echo(json.dumps(summary, ensure_ascii=False))
    if summary.get("status") == "failed":
        raise typer.Exit(1)


@export_app.command("customers")
def export_customers(
    merchant: str = typer.Option(..., help="Merchant slug"),
    out: Path = typer.Option(None, help="File to write (default: standard output)"),
) -> None:
    """Export every customer of a merchant as CSV."""
    from regulars.customers.imports import importer

    settings = _settings()
    db = _database(settings)
    ctx = _merchant_ctx(db, merchant)
    if out is None:
        importer.export_csv(db, ctx, sys.stdout)
    else:
        with out.open("w", encoding="utf-8", newline="") as fh:
            count = importer.export_csv(db, ctx, fh)
        typer.echo(f"{count} customers written to {out}", err=True)


def _each_merchant(db, slug: str | None):  # type: ignore[no-untyped-def]
    from regulars.kit.context import SYSTEM, Ctx
    from regulars.merchants import service

    if slug:
        return [_merchant_ctx(db, slug)]
    return [Ctx(m, SYSTEM) for m in db.run(service.list_merchants, write=False)]


@app.command()
def expire(
    merchant: str = typer.Option(None, help="Merchant slug (default: every merchant)"),
) -> None:
    """Expire points that are due (oldest first); safe to run again, it expires nothing twice.
    Old idempotency keys are purged too."""
    from regulars import daily

    db = _database(_settings())
    purged = 0
    for ctx in _each_merchant(db, merchant):
        done = daily.run_job(db, ctx, "points.expire")
        typer.echo(json.dumps({"merchant": ctx.merchant.slug, **done}))
        purged += daily.run_job(db, ctx, "idempotency.purge")["keys_purged"]
    typer.echo(json.dumps({"idempotency_keys_purged": purged}))


@app.command("recompute-tiers")
def recompute_tiers(
    merchant: str = typer.Option(None, help="Merchant slug (default: every merchant)"),
) -> None:
    """The daily tier job: rolling windows move, downgrades happen after the grace period."""
    from regulars import daily

    db = _database(_settings())
    for ctx in _each_merchant(db, merchant):
        done = daily.run_job(db, ctx, "tiers.recompute")
        typer.echo(json.dumps({"merchant": ctx.merchant.slug, **done}))


@app.command()
def daily() -> None:
    """Run the daily jobs that are due and not yet run today (each merchant's own day); what
    `regulars serve` does every minute unless REGULARS_DAILY_JOBS=off. Prints a line per run."""
    from regulars import daily as daily_jobs

    db = _database(_settings())
    for done in daily_jobs.run_due(db):
        typer.echo(json.dumps(done))


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Deliver what is due now, then exit"),
    every: float = typer.Option(2.0, min=0.1, help="Seconds between looks at the outbox"),
) -> None:
    """Deliver the outbox: due messages, with retries and backoff (docs/messaging.md). Run as
    many as you like on PostgreSQL; they share the work. `--once` prints what it did."""
    import signal
    import threading

    from regulars.messaging import runtime
    from regulars.messaging.worker import Worker, deliver_once

    settings = _settings()
    runtime.configure(settings)
    db = _database(settings)
    if once:
        typer.echo(json.dumps(vars(deliver_once(db))))
        return
    loop = Worker(db, every=every)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    loop.start()
    stop.wait()
    loop.stop()
    typer.echo(json.dumps(vars(loop.totals)))


@codes_app.command("generate")
def codes_generate(
    merchant: str = typer.Option(..., help="Merchant slug"),
    campaign: str = typer.Option(..., help="The coupon campaign's id"),
    count: int = typer.Option(..., min=1, max=10_000_000, help="How many single-use codes"),
) -> None:
    """Make COUNT single-use codes for a campaign, with a progress bar; download them with
    GET /api/v1/coupon-campaigns/{id}/codes.csv or from the campaign's page."""
    import uuid

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from regulars.kit.errors import ProblemError
    from regulars.offers import jobs

    db = _database(_settings())
    ctx = _merchant_ctx(db, merchant)
    try:
        campaign_id = uuid.UUID(campaign)
    except ValueError:
        raise typer.BadParameter("not a campaign id", param_hint="--campaign") from None
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("codes", total=count)
        try:
            made = jobs.generate(
                db, ctx, campaign_id, count, lambda n: progress.update(task, completed=n)
            )
        except ProblemError as exc:
            typer.echo(exc.detail, err=True)
            raise typer.Exit(1) from None
    typer.echo(json.dumps({"campaign_id": str(campaign_id), "codes": made}))


@app.command()
def backup(
    out: Path = typer.Option(
        None, help="File to write, or a directory for a timestamped name (default var/backups)"
    ),
    keep: int = typer.Option(
        None, min=1, help="Then keep only the newest KEEP timestamped backups in that directory"
    ),
) -> None:
    """Back the database up while the server keeps selling (SQLite: online copy, gzipped;
    PostgreSQL: pg_dump). Prints the file and its manifest as JSON."""
    from regulars.ops import backup as backups

    settings = _settings()
    target = out or settings.var_dir / "backups"
    if out is None:
        target.mkdir(parents=True, exist_ok=True)
    try:
        path, manifest = backups.backup(settings.database_url, target, keep)
    except backups.BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"file": str(path), **manifest.__dict__}))


@app.command()
def restore(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A `regulars backup` file"),
    force: bool = typer.Option(False, help="Replace a database that already holds shops"),
) -> None:
    """Restore a backup into the configured database (stop the server first), then migrate it
    to this version's schema. Refuses a backup from a newer version."""
    from regulars.ops import backup as backups

    settings = _settings()
    _ensure_var(settings)
    try:
        done = backups.restore(settings.database_url, file, force=force)
    except backups.BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(done))


@app.command("copy-to")
def copy_to(
    url: str = typer.Argument(..., help="An empty PostgreSQL database, postgresql+psycopg://..."),
) -> None:
    """Copy every row of this database into an empty database (the move from SQLite to
    PostgreSQL), then compare row counts and sums table by table. Stop the server first."""
    from regulars.ops.copy import CopyError
    from regulars.ops.copy import copy_to as copy

    settings = _settings()
    try:
        report = copy(settings.database_url, url)
    except CopyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    rows = {name: figures["rows"] for name, figures in report.items()}
    typer.echo(json.dumps({"verified": True, "rows": rows}))


def main() -> None:
    app()
