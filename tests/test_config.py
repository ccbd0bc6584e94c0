"""Settings read from the environment: defaults that work for `make run`, values read, and
refusals naming the variable (WebAuthn, least privilege, …)."""

from __future__ import annotations

import pytest

from gateway.config import Settings


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


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GATEWAY_ROOT_MFA", "always", "GATEWAY_ROOT_MFA must be one of optional, required"),
        ("GATEWAY_UNUSED_ACCESS_AGE_DAYS", "0", "at least 1 and at most 365, got 0"),
        ("GATEWAY_UNUSED_ACCESS_AGE_DAYS", "366", "at least 1 and at most 365, got 366"),
    ],
)
def test_values_that_mean_nothing_are_refused(variable: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({variable: value})


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
