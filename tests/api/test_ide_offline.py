"""The GraphiQL IDE over real HTTP: a page and assets from this origin only, so it works offline."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from mychangsha.ide import render_ide_page

ASSETS_PREFIX = "/ide/assets/"
HTML = {"accept": "text/html"}


class _References(HTMLParser):
    """Every URL-valued attribute of the page, and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "action", "data", "poster", "srcset"} and value:
                self.urls.append((tag, value))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)


def _parse(page: str) -> _References:
    refs = _References()
    refs.feed(page)
    refs.close()
    return refs


@pytest.fixture(scope="module")
def web(graph_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client of the session's graph (served with GRAPHQL_IDE=true)."""
    with httpx.Client(base_url=graph_url, timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
def page(web: httpx.Client) -> str:
    """The IDE page as a browser asks for it."""
    response = web.get("/graphql", headers=HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _asset_urls(page: str) -> list[str]:
    return [url for _, url in _parse(page).urls if url.startswith(ASSETS_PREFIX)]


def test_page_is_graphiql_for_this_graph(page: str) -> None:
    assert "<title>mychangsha · GraphiQL</title>" in page
    assert '"graphqlPath": "/graphql"' in page
    assert "GraphiQL.createFetcher" in page
    assert "isHeadersEditorEnabled: true" in page
    assert "query NearbyAttractions" in page


def test_page_names_no_other_host(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    assert "//unpkg" not in page and "esm.sh" not in page
    refs = _parse(page)
    for tag, url in refs.urls:
        parts = urlsplit(url)
        assert parts.scheme in {"", "data"}, (tag, url)
        assert not parts.netloc, (tag, url)
    imports = re.findall(r"""\bimport\s*(?:\(|[^'"]*from)?\s*['"]([^'"]+)['"]""", page)
    for url in imports:
        assert not urlsplit(url).netloc and not urlsplit(url).scheme, url
    # Protocol-relative URLs in script text would reach out as well.
    assert not any(re.search(r"['\"]//[a-z0-9]", s, re.IGNORECASE) for s in refs.inline_scripts)


def test_every_referenced_asset_is_served(web: httpx.Client, page: str) -> None:
    urls = _asset_urls(page)
    kinds = {urlsplit(url).path.rsplit(".", 1)[-1] for url in urls}
    assert kinds == {"js", "css"}, urls
    for url in urls:
        response = web.get(url)
        assert response.status_code == 200, url
        content_type = response.headers["content-type"]
        if urlsplit(url).path.endswith(".css"):
            assert content_type.startswith("text/css"), (url, content_type)
        else:
            assert content_type.split(";")[0] in {"text/javascript", "application/javascript"}
        assert len(response.content) > 500, url
        assert "immutable" in response.headers["cache-control"], url
        assert response.headers["x-content-type-options"] == "nosniff"


def test_assets_compress_and_revalidate(web: httpx.Client, page: str) -> None:
    url = next(u for u in _asset_urls(page) if "graphiql.min.js" in u)
    plain = web.get(url, headers={"accept-encoding": "identity"})
    zipped = web.get(url, headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"]) / 2
    assert zipped.content == plain.content  # httpx decoded it: the same file
    etag = zipped.headers["etag"]
    again = web.get(url, headers={"accept-encoding": "gzip", "if-none-match": etag})
    assert again.status_code == 304
    assert not again.content


def test_asset_without_current_digest_is_revalidated(web: httpx.Client) -> None:
    response = web.get(f"{ASSETS_PREFIX}graphiql.min.css?v=stale")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        f"{ASSETS_PREFIX}nope.js",
        f"{ASSETS_PREFIX}graphiql.min.js.map",
        # In the package, but not something the page uses: only the allow-list is served.
        f"{ASSETS_PREFIX}fetch.umd.js",
        f"{ASSETS_PREFIX}__init__.py",
        ASSETS_PREFIX,
        ASSETS_PREFIX.rstrip("/"),
    ],
)
def test_unknown_asset_is_404(web: httpx.Client, path: str) -> None:
    assert web.get(path).status_code == 404


@pytest.mark.parametrize(
    "raw_path",
    [
        "/ide/assets/../../etc/passwd",
        "/ide/assets/../../../../../../etc/passwd",
        "/ide/assets/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/ide/assets/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/ide/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/ide/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/ide/assets/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        "/ide/assets/..%5c..%5c..%5c..%5cetc%5cpasswd",
        "/ide/assets/....//....//....//etc/passwd",
        "/ide/assets/%2fetc%2fpasswd",
        "/ide/assets/../../../../../pyproject.toml",
        "/ide/assets/..%2f__init__.py",
    ],
)
def test_path_traversal_leaks_nothing(graph_url: str, raw_path: str) -> None:
    # http.client sends the path byte for byte; httpx would normalise the dot segments away.
    parts = urlsplit(graph_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", raw_path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status in {400, 404}, (raw_path, response.status)
    assert b"root:" not in body
    assert b"[project]" not in body
    assert b"__version__" not in body


def test_page_escapes_the_graphql_path() -> None:
    page = render_ide_page("/g</script><script>alert(1)</script>", "/x/assets")
    assert "</script><script>alert(1)" not in page
    urls = [url for _, url in _parse(page).urls]
    assert all(url.startswith(("/x/assets/", "data:")) for url in urls), urls
    assert render_ide_page("/graphql") is render_ide_page("/graphql")


def test_page_can_send_files(page: str) -> None:
    """A file picker and a fetcher that turns "@N" variables into a multipart request."""
    assert 'id="ide-file-input"' in page and 'type="file"' in page
    assert "FormData" in page and '"apollo-require-preflight"' in page
    assert "/^@[0-9]+$/" in page
