"""The interactive API docs load their assets from the app itself, never from a CDN."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_uses_assets_served_by_the_app(admin_client):
    page = admin_client.get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    bundle = next(s for s in sources if s.endswith("swagger-ui-bundle.js"))
    served = admin_client.get(bundle)
    assert served.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(served.streaming_content)
