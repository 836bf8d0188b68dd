"""Command-line tasks: staff users, the database, demo data. `flask --app wsgi …` or `sasaeai …`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.models import STAFF_ROLES, ApiToken, User
from access.tokens import new_token

users = AppGroup("users", help="Ward staff users and their API tokens.")
db_cli = AppGroup("db", help="The database schema (Alembic).")
demo = AppGroup("demo", help="Real-looking demo data from the Tokyo 町丁目 census points.")


def _session() -> Session:
    session: Session = current_app.extensions["sasaeai.sessionmaker"]()
    return session


def _password_option(help_text: str, *, always: bool):  # type: ignore[no-untyped-def]
    # asked twice, echoing nothing; SASAEAI_PASSWORD serves scripts (an argument would be seen
    # by every user of `ps` and kept in the shell's history)
    return click.option(
        "--password",
        prompt="Password (12 characters or more)",
        # always: asked for when not given; otherwise only when `--password` is given bare
        prompt_required=always,
        hide_input=True,
        confirmation_prompt=True,
        envvar="SASAEAI_PASSWORD",
        show_envvar=True,
        default=None,
        help=help_text,
    )


def _hash_or_fail(password: str) -> str:
    from access.passwords import hash_password
    from db import InvalidInput

    try:
        return hash_password(password)
    except InvalidInput as error:
        raise click.ClickException(error.message) from error


@users.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@_password_option("Also let them sign in to the screens: asks for their password.", always=False)
def create_user(name: str, role: str, password: str | None) -> None:
    """Create a staff user; print their token alone on the last line (shown once)."""
    password_hash = _hash_or_fail(password) if password is not None else None
    with _session() as session, session.begin():
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise click.ClickException(f"A user named {name!r} exists already.")
        user = User(name=name, role=role, password_hash=password_hash)
        session.add(user)
        session.flush()
        token, token_hash = new_token()
        session.add(ApiToken(token_hash=token_hash, role=role, user_id=user.id))
    signs_in = " They sign in to the screens with their password." if password_hash else ""
    click.echo(f"Created {role} {name!r} (id {user.id}).{signs_in} Their token, shown once:")
    click.echo(token)


@users.command("set-password")
@click.argument("name")
@_password_option("The new password (asked for when not given).", always=True)
def set_password(name: str, password: str) -> None:
    """Give a staff user a new password for the screens (their other sign-ins end)."""
    password_hash = _hash_or_fail(password)
    with _session() as session, session.begin():
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise click.ClickException(f"No user is named {name!r}.")
        user.password_hash = password_hash
    click.echo(f"{name!r} has a new password.")


@db_cli.command("upgrade")
def upgrade() -> None:
    """Bring the schema to the newest revision (alembic upgrade head)."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    cfg = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    cfg.attributes["database_url"] = current_app.config["DATABASE_URL"]
    command.upgrade(cfg, "head")
    click.echo("Schema is at head.")


@demo.command("seed")
@click.option("--ward", default="世田谷区", show_default=True, help="A ward of the 23 (e.g. 北区).")
@click.option("--residents", default=300, show_default=True)
@click.option("--volunteers", default=300, show_default=True)
@click.option("--requests", "requests_", default=300, show_default=True)
@click.option("--days", default=7, show_default=True, help="Spread open requests over these days.")
@click.option("--seed", default=2015, show_default=True, help="Random seed (same seed, same data).")
@click.option(
    "--series",
    "series_",
    default=3,
    show_default=True,
    type=click.IntRange(0, 3),
    help="Request series (燃やすごみ, 隔週 資源ごみ, 第2・第4 買い物), 4 weeks made.",
)
def seed(
    ward: str, residents: int, volunteers: int, requests_: int, days: int, seed: int, series_: int
) -> None:
    """Seed residents, volunteers and open requests at real 町丁目 points, by population, and a
    few request series, two with a standing volunteer."""
    from db import DomainError
    from matching import demo as demo_data

    try:
        with _session() as session, session.begin():
            counts = demo_data.seed_ward(
                session,
                ward=ward,
                n_residents=residents,
                n_volunteers=volunteers,
                n_requests=requests_,
                days=days,
                seed=seed,
                n_series=series_,
            )
            effect = demo_data.rounds_effect(session)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Seeded {ward}: {counts['residents']} residents, {counts['volunteers']} volunteers"
        f" ({counts['trial']} on trial), {counts['requests']} open requests"
        f" in {counts['zones']} zones; {counts['series']} request series"
        f" ({counts['standing']} with a standing volunteer, {counts['occurrences']} occurrences)."
    )
    click.echo(
        f"A match run over the {effect['open']} open requests would propose"
        f" {effect['with_rounds']} with rounds ({effect['in_rounds']} volunteers taking two or"
        f" three on one walk), {effect['without_rounds']} with one task per volunteer."
    )


def register_commands(app: Flask) -> None:
    from api.dispatch_cli import dispatch_cli
    from api.notify_cli import notify_cli
    from api.points_cli import points_cli
    from api.series_cli import series_cli

    for group in (users, db_cli, demo, points_cli, notify_cli, series_cli, dispatch_cli):
        app.cli.add_command(group)
