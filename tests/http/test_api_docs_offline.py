"""The API docs pages (``/schema``) work in a network with no way out: every script, style
sheet and icon they load is served by the service itself, from the ``openapi-ui-bundles``
package, and nothing is fetched from a CDN (fonts included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openapi_ui_bundles import rapidoc, redoc, swagger_ui

PAGES = ("/schema", "/schema/swagger", "/schema/redoc", "/schema/rapidoc")
BUNDLES = {"swagger-ui": swagger_ui, "redoc": redoc, "rapidoc": rapidoc}
ASSET = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


@pytest.mark.parametrize("page", PAGES)
def test_a_docs_page_loads_everything_from_the_service(
    client: TestClient[Litestar], page: str
) -> None:
    response = client.get(page)
    assert response.status_code == 200, response.text
    html = response.text
    assets = ASSET.findall(html)
    assert any(url.endswith(".js") for url in assets), assets  # the page has its script
    for url in assets:
        assert url.startswith("/schema/assets/"), f"{page} loads {url} from elsewhere"
        served = client.get(url)
        assert served.status_code == 200, url
        bundle, name = url.removeprefix("/schema/assets/").split("/")
        assert served.content == (Path(BUNDLES[bundle].static_path) / name).read_bytes(), url
        if url.endswith(".js"):
            assert served.headers["content-type"].startswith("text/javascript")
    # nothing points outside: no absolute URL in any attribute, no CDN or font host by name
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html, re.I)
    for host in ("cdn.", "unpkg", "jsdelivr", "googleapis", "redoc.ly"):
        assert host not in html, host


def test_the_docs_assets_stay_out_of_the_openapi_document(client: TestClient[Litestar]) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert paths
    assert not [path for path in paths if path.startswith("/schema")]
