"""Settings read from the environment: defaults that work for `make run`, values read,
refusals naming the variable (WebAuthn, least privilege, …), the command line's one-line answer
to a bad value, and the README's table of every setting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway import config
from gateway.cli import main
from gateway.config import SettingError, Settings


def test_the_default_relying_party_is_localhost_on_the_servers_port() -> None:
    assert Settings().webauthn_rp_id == "localhost"
    assert Settings().webauthn_origins == ("http://localhost:8000",)
    settings = Settings.from_env({"GATEWAY_PORT": "9100"})
    assert settings.webauthn_origins == ("http://localhost:9100",)
    assert settings.webauthn_attestation == "none"
    assert settings.signin_page is True


def test_a_deployment_names_its_domain_and_origins() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_WEBAUTHN_RP_ID": "Example.COM",
            "GATEWAY_WEBAUTHN_ORIGIN": "https://id.example.com, https://example.com:8443/",
            "GATEWAY_WEBAUTHN_ATTESTATION": "direct",
            "GATEWAY_SIGNIN_PAGE": "false",
        }
    )
    assert settings.webauthn_rp_id == "example.com"
    assert settings.webauthn_origins == ("https://id.example.com", "https://example.com:8443")
    assert settings.webauthn_attestation == "direct"
    assert settings.signin_page is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GATEWAY_WEBAUTHN_RP_ID": "127.0.0.1"}, "browsers refuse IP addresses"),
        ({"GATEWAY_WEBAUTHN_RP_ID": "exa mple.com"}, "must be a domain name"),
        ({"GATEWAY_WEBAUTHN_ORIGIN": "https://evil.example"}, "is not on GATEWAY_WEBAUTHN_RP_ID"),
        ({"GATEWAY_WEBAUTHN_ORIGIN": "https://localhost.evil.example"}, "is not on"),
        ({"GATEWAY_WEBAUTHN_ORIGIN": "ftp://localhost"}, "scheme, host and port only"),
        ({"GATEWAY_WEBAUTHN_ORIGIN": "http://localhost/signin"}, "scheme, host and port only"),
        ({"GATEWAY_WEBAUTHN_ATTESTATION": "enterprise"}, "must be one of none, indirect"),
    ],
)
def test_values_a_browser_would_refuse_stop_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_root_mfa_and_unused_access_age_have_awss_defaults() -> None:
    settings = Settings.from_env({})

    assert settings.root_mfa == "optional"
    assert not settings.root_mfa_required
    assert settings.unused_access_age_days == 90


def test_root_mfa_required_and_a_custom_age_are_read() -> None:
    settings = Settings.from_env(
        {"GATEWAY_ROOT_MFA": "Required", "GATEWAY_UNUSED_ACCESS_AGE_DAYS": "30"}
    )

    assert settings.root_mfa_required
    assert settings.unused_access_age_days == 30


def test_password_hashes_default_to_keycloaks_argon2id_parameters() -> None:
    settings = Settings.from_env({})
    assert (
        settings.password_hash_memory_kib,
        settings.password_hash_iterations,
        settings.password_hash_parallelism,
    ) == (7168, 5, 1)

    chosen = Settings.from_env(
        {
            "GATEWAY_PASSWORD_HASH_MEMORY_KIB": "65536",
            "GATEWAY_PASSWORD_HASH_ITERATIONS": "3",
            "GATEWAY_PASSWORD_HASH_PARALLELISM": "4",
        }
    )
    assert (
        chosen.password_hash_memory_kib,
        chosen.password_hash_iterations,
        chosen.password_hash_parallelism,
    ) == (65536, 3, 4)


def test_the_access_log_is_off_unless_asked_for() -> None:
    assert not Settings.from_env({}).access_log
    assert Settings.from_env({"GATEWAY_ACCESS_LOG": "true"}).access_log
    assert not Settings.from_env({"GATEWAY_ACCESS_LOG": "false"}).access_log


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GATEWAY_ROOT_MFA", "always", "GATEWAY_ROOT_MFA must be one of optional, required"),
        ("GATEWAY_ACCESS_LOG", "sometimes", "GATEWAY_ACCESS_LOG must be true or false"),
        ("GATEWAY_UNUSED_ACCESS_AGE_DAYS", "0", "at least 1 and at most 365, got 0"),
        ("GATEWAY_UNUSED_ACCESS_AGE_DAYS", "366", "at least 1 and at most 365, got 366"),
        # 64 meant as MiB would be 64 KiB: below OWASP's smallest profile, refused
        ("GATEWAY_PASSWORD_HASH_MEMORY_KIB", "64", "at least 7168 and at most 4194304, got 64"),
        ("GATEWAY_PASSWORD_HASH_ITERATIONS", "0", "at least 1 and at most 64, got 0"),
        ("GATEWAY_PASSWORD_HASH_PARALLELISM", "17", "at least 1 and at most 16, got 17"),
    ],
)
def test_values_that_mean_nothing_are_refused(variable: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({variable: value})


# -- the README's Settings table and the command line ---------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"
CONFIG_SOURCE = Path(config.__file__).read_text(encoding="utf-8")


class _Recording(dict[str, str]):
    """An environment that notes every variable looked up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def _readme_settings_table() -> dict[str, list[str]]:
    """The rows of the README's Settings table: variable → [default, meaning]."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        match = re.fullmatch(r"\| `(GATEWAY_[A-Z0-9_]+)` \|(.*)\|", line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is in the table twice"
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_the_readme_documents_every_setting_that_is_read_and_no_other() -> None:
    environment = _Recording()
    Settings.from_env(environment)
    read = {name for name in environment.read if name.startswith("GATEWAY_")}
    # A variable read only on some path (an error, another setting's value) is still named
    # in config.py.
    named = set(re.findall(r"\"(GATEWAY_[A-Z0-9_]+)\"", CONFIG_SOURCE))

    documented = _readme_settings_table()

    assert read, "Settings.from_env read no GATEWAY_ variable"
    assert sorted((read | named) - set(documented)) == [], "read, but not in the README's table"
    assert sorted(set(documented) - (read | named)) == [], "in the README's table, never read"
    for name, cells in documented.items():
        assert len(cells) == 2, f"{name}: expected a default and a meaning, got {cells}"
        assert all(cells), f"{name}: the default or the meaning is empty"


@pytest.mark.parametrize("arguments", [["--help"], ["serve"], ["migrate"], ["export-schema"]])
def test_a_bad_setting_is_one_line_naming_it_and_exit_status_2(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_SESSION_CACHE_MS", "2000")

    status = main(arguments)

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err == (
        "gateway: GATEWAY_SESSION_CACHE_MS must be at least 0 and at most 1000, got 2000\n"
    )


def test_the_installed_command_prints_no_traceback_for_a_bad_setting() -> None:
    environment = {**os.environ, "GATEWAY_PORT": "eighty"}

    finished = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "--help"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 2
    assert finished.stderr == "gateway: GATEWAY_PORT must be an integer, got 'eighty'\n"
    assert finished.stdout == ""


def test_every_refusal_is_a_setting_error() -> None:
    with pytest.raises(SettingError, match="GATEWAY_GRAPHIQL must be true or false"):
        Settings.from_env({"GATEWAY_GRAPHIQL": "maybe"})


def test_trusted_proxies_are_addresses_and_cidr_ranges_and_none_by_default() -> None:
    assert Settings().trusted_proxies == ()
    settings = Settings.from_env({"GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,  ::1"})
    assert [str(network) for network in settings.trusted_proxies] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
        "::1/128",
    ]
    with pytest.raises(ValueError, match=r"GATEWAY_TRUSTED_PROXIES .*'proxy\.internal'"):
        Settings.from_env({"GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"})
