"""What `gateway serve` does before serving: the first account with the configured id, its
generated password in an owner-only file and never in the output, and the accounts named on
every start."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from gateway.config import Settings
from gateway.first_start import ACCOUNTS_SHOWN, PASSWORD_FILE, prepare
from gateway.models import Account, RootUser
from gateway.services.accounts import bootstrap_account
from gateway.services.passwords import verify_password

README_ACCOUNT = "123456789012"


@pytest.fixture
def data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory the password file goes to: beside SQLite's file, else the working
    directory (PostgreSQL), which is the test's own here."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _settings(database_url: str, **values: str) -> Settings:
    return Settings.from_env({"GATEWAY_DATABASE_URL": database_url, **values})


async def test_the_first_account_has_the_configured_id_and_its_password_goes_to_a_file(
    db: TortoiseContext, database_url: str, data_directory: Path
) -> None:
    said: list[str] = []
    settings = _settings(database_url, GATEWAY_FIRST_ACCOUNT_ID=README_ACCOUNT)

    await prepare(settings, said.append)

    root = await RootUser.get(account_id=README_ACCOUNT)
    assert root.email == "root@gateway.local"
    password_file = settings.data_directory / PASSWORD_FILE
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert await verify_password(root.password_hash, password)
    output = "\n".join(said)
    assert password not in output
    assert f"Account {README_ACCOUNT}: root user root@gateway.local" in output
    assert str(password_file.resolve()) in output
    assert [path.name for path in password_file.parent.glob("*root-password*")] == [PASSWORD_FILE]


async def test_a_configured_password_is_used_and_written_nowhere(
    db: TortoiseContext, database_url: str, data_directory: Path
) -> None:
    said: list[str] = []
    settings = _settings(
        database_url, GATEWAY_ROOT_EMAIL="Owner@Example.com", GATEWAY_ROOT_PASSWORD="Chosen-Pass-42"
    )

    await prepare(settings, said.append)

    root = await RootUser.get(email="owner@example.com")
    assert len(root.account_id) == 12
    assert await verify_password(root.password_hash, "Chosen-Pass-42")
    assert not (settings.data_directory / PASSWORD_FILE).exists()
    assert "Chosen-Pass-42" not in "\n".join(said)
    assert f"Account {root.account_id}: root user owner@example.com" in said


async def test_every_later_start_names_the_accounts_and_creates_none(
    db: TortoiseContext, database_url: str, data_directory: Path
) -> None:
    settings = _settings(database_url, GATEWAY_FIRST_ACCOUNT_ID=README_ACCOUNT)
    await prepare(settings, lambda line: None)
    said: list[str] = []

    await prepare(settings, said.append)

    assert await Account.all().count() == 1
    assert said[0] == f"Account {README_ACCOUNT}: root user root@gateway.local"
    assert "still in" in said[-1]
    assert not any("creating" in line for line in said)


async def test_a_failed_first_account_leaves_no_password_file(
    db: TortoiseContext, database_url: str, data_directory: Path
) -> None:
    said: list[str] = []
    settings = _settings(database_url, GATEWAY_ROOT_EMAIL="not an e-mail")

    await prepare(settings, said.append)

    assert not await Account.exists()
    assert any("The first account was not created" in line for line in said)
    assert list(settings.data_directory.glob("*root-password*")) == []


async def test_many_accounts_are_named_by_the_oldest_few(
    db: TortoiseContext, database_url: str, data_directory: Path
) -> None:
    for number in range(ACCOUNTS_SHOWN + 2):
        await bootstrap_account(email=f"root{number}@example.com", password="Root-Passw0rd")
    said: list[str] = []

    await prepare(_settings(database_url), said.append)

    assert sum(line.startswith("Account ") for line in said) == ACCOUNTS_SHOWN
    assert said[-1] == "… and 2 more accounts."


@pytest.mark.parametrize("value", ["12345678901", "1234567890123", "12345678901x", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_a_first_account_id_that_is_not_12_digits_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="GATEWAY_FIRST_ACCOUNT_ID must be a 12-digit account id"):
        Settings.from_env({"GATEWAY_FIRST_ACCOUNT_ID": value})
