"""Function settings (rewards/settings.py): defaults, refusals naming the variable, and the
environment read afresh when it changes."""

from __future__ import annotations

import pytest

from rewards.settings import AuthorizerSettings, CardholderSettings, SettingsError, settings

pytestmark = pytest.mark.unit

CARDHOLDER = {"LEDGER_TABLE_NAME": "t-Ledger", "CONFIG_TABLE_NAME": "t-Config", "PAN_HASH_KEY_PARAM": "/t/pan"}


def test_a_revoked_key_reaches_the_authorizer_sooner_than_a_program_change_reaches_the_others():
    authorizer = AuthorizerSettings.from_environment({"CONFIG_TABLE_NAME": "t-Config", "NONCE_TABLE_NAME": "t-Nonce"})
    assert (authorizer.config_cache_seconds, CardholderSettings.from_environment(CARDHOLDER).config_cache_seconds) == (
        30,
        60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CONFIG_CACHE_SECONDS", "soon"), ("CONFIG_CACHE_SECONDS", "-1"), ("PAN_HASH_KEY_PARAM", "no-leading-slash")],
)
def test_a_malformed_variable_is_refused_by_name(variable, value):
    with pytest.raises(SettingsError, match=variable):
        CardholderSettings.from_environment({**CARDHOLDER, variable: value})


def test_settings_follow_the_environment(monkeypatch):
    for name, value in CARDHOLDER.items():
        monkeypatch.setenv(name, value)
    assert settings(CardholderSettings).ledger_table == "t-Ledger"
    monkeypatch.setenv("LEDGER_TABLE_NAME", "other-Ledger")
    assert settings(CardholderSettings).ledger_table == "other-Ledger"
