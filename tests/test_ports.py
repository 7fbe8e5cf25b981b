"""The suite does not depend on fixed ports: external systems a test does not serve are on a
port the suite holds closed, never on the defaults a developer's own simulators listen on."""

import socket
from urllib.parse import urlsplit

from gateway.settings import Settings
from tests.gateway.helpers import SETTINGS, UNREACHABLE, test_settings


def test_unserved_systems_are_not_on_the_default_ports() -> None:
    defaults = Settings()
    for name, url in UNREACHABLE.items():
        assert url != getattr(defaults, name)
        assert getattr(SETTINGS, name) == url
        assert getattr(test_settings("sqlite://"), name) == url


def test_nothing_answers_on_an_unreachable_url() -> None:
    for url in UNREACHABLE.values():
        address = urlsplit(url)
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((address.hostname, address.port)) != 0
