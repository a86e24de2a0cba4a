"""Domains: the urlsplit-free path for plain URLs gives what urlsplit gives."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.mapping import InvalidValue, to_domain


def urlsplit_domain(value: str) -> str | None:
    """The domain rule written with urlsplit throughout (None: not a domain)."""
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    elif not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        text = "http://" + text
    try:
        host = urlsplit(text).hostname if "://" in text else text
    except ValueError:
        return None
    host = (host or "").strip(".").removeprefix("www.")
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host):
        return None
    return host


def _domain_or_none(value: str) -> str | None:
    try:
        return to_domain(value)
    except InvalidValue:
        return None


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("https://www.Acme.co.uk/about", "acme.co.uk"),
        ("www.acme.com", "acme.com"),
        ("acme.com.", "acme.com"),
        ("http://shop.acme.com:8080/x?y=1", "shop.acme.com"),  # port
        ("acme.com:443", "acme.com"),
        ("https://user:secret@acme.com/x", None),  # user@ reads as an e-mail: "acme.com/x"
        ("ann@acme.fr", "acme.fr"),
        ("https://bücher.de", None),  # IDN: not an ASCII host name
        ("xn--bcher-kva.de/shop", "xn--bcher-kva.de"),
        ("acme.com/redirect?to=http://other.org", "acme.com"),
        ("ftp://files.acme.com", "files.acme.com"),
        ("1x://acme.com", None),  # not a scheme: the host would be "1x"
        ("http://[::1]/", None),
        ("acme.com#top", "acme.com"),
        ("https://www.", None),
        ("n/a", None),
        ("  HTTPS://WWW.ACME.DE  ", "acme.de"),
        ("acme\t.com", "acme.com"),  # urlsplit drops tabs and newlines
        ("http://[oops", None),  # urlsplit refuses it: invalid, not a crash
    ],
)
def test_tricky_websites_give_the_urlsplit_domain(given, domain):
    assert urlsplit_domain(given) == domain
    assert _domain_or_none(given) == domain


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "www.",
                "acme",
                ".",
                "co",
                "uk",
                "-",
                "http",
                "s",
                "://",
                ":",
                "8080",
                "/",
                "?q=1",
                "#",
                "@",
                "ann",
                "[",
                "]",
                "ü",
                " ",
                "\t",
                "1",
                "x",
                "+",
            ]
        ),
        max_size=10,
    ).map("".join)
)
def test_any_url_like_text_gets_the_urlsplit_answer(text):
    assert _domain_or_none(text) == urlsplit_domain(text)
