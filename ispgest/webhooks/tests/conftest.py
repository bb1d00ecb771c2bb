"""Fixtures of other apps' tests that these tests build on."""

from ispgest.clients.tests.conftest import cat  # noqa: F401  (the client catalogs)
