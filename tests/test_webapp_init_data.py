"""Mini App init data: what Telegram signs passes, any change to it fails, stale data fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.webapp.init_data import InitDataRejected, WebAppUser, sign, verify

TOKEN = "123456:TEST-token"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MAX_AGE = 3600


def _fields(user_id: int = 42, age: int = 10, **extra: str) -> dict[str, str]:
    user = json.dumps({"id": user_id, "first_name": "Li", "language_code": "en"})
    return {
        "query_id": "AAH1",
        "user": user,
        "auth_date": str(int(NOW.timestamp()) - age),
        **extra,
    }


def _check(init_data: str) -> WebAppUser:
    return verify(init_data, TOKEN, now=NOW, max_age_seconds=MAX_AGE)


field_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(user_id=st.integers(1, 2**52), age=st.integers(-30, MAX_AGE), extra=field_text)
def test_data_signed_with_the_bot_token_passes(user_id: int, age: int, extra: str) -> None:
    init_data = sign(_fields(user_id, age, start_param=extra), TOKEN)
    assert _check(init_data) == WebAppUser(user_id, "en")


@given(data=st.data())
def test_any_change_to_any_field_fails(data: st.DataObject) -> None:
    pairs = parse_qsl(sign(_fields(start_param="calc"), TOKEN))
    index = data.draw(st.integers(0, len(pairs) - 1))
    key, value = pairs[index]
    changed = data.draw(field_text.filter(lambda text: text != value))
    pairs[index] = (key, changed)
    with pytest.raises(InitDataRejected):
        _check(urlencode(pairs))


@given(extra_key=st.sampled_from(["chat_type", "start_param", "can_send_after"]))
def test_an_added_or_removed_field_fails(extra_key: str) -> None:
    pairs = parse_qsl(sign(_fields(), TOKEN))
    with pytest.raises(InitDataRejected):
        _check(urlencode([*pairs, (extra_key, "x")]))
    for index in range(len(pairs)):
        with pytest.raises(InitDataRejected):
            _check(urlencode(pairs[:index] + pairs[index + 1 :]))


def test_data_signed_with_another_token_fails() -> None:
    with pytest.raises(InitDataRejected, match="not signed"):
        _check(sign(_fields(), "654321:other-token"))


def test_stale_data_and_data_from_the_future_fail() -> None:
    with pytest.raises(InitDataRejected, match="too old"):
        _check(sign(_fields(age=MAX_AGE + 1), TOKEN))
    with pytest.raises(InitDataRejected, match="future"):
        _check(sign(_fields(age=-31), TOKEN))


@pytest.mark.parametrize("text", ["", "hash", "a=1&a=1", "%zz", "user=1&hash=ab&hash=ab"])
def test_garbage_fails(text: str) -> None:
    with pytest.raises(InitDataRejected):
        _check(text)


def test_a_signed_user_without_an_id_fails() -> None:
    fields = {**_fields(), "user": json.dumps({"first_name": "Li"})}
    with pytest.raises(InitDataRejected, match="no id"):
        _check(sign(fields, TOKEN))
