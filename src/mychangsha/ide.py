"""GraphiQL served entirely from this process, so the IDE works on a machine with no internet.

strawberry's own GraphiQL page pulls React and GraphiQL from public CDNs and stays blank
offline (and on locked-down networks). The built files come instead from the
`graphene-django-graphiql-static` wheel, a plain runtime dependency installed from PyPI: it
ships GraphiQL 2.1 (with graphql-ws bundled), React 17 and the explorer plugin as static
files. Only those files are read from it; its Django views are never imported, and the wheel
declares no dependencies, so no Django comes along.

Every asset URL carries `?v=<content digest>`: a browser may keep a URL with the digest it was
handed forever, and a package upgrade changes the digest and so the URL. The page itself also
sets a Content-Security-Policy that lets it load and connect to nothing but its own origin.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import importlib.resources
import json
import string
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

ASSET_PACKAGE: Final = "graphene_django_graphiql_static"
"""The installed distribution's import package that holds the built GraphiQL files."""

_JS: Final = "text/javascript"
_CSS: Final = "text/css"

_STYLESHEETS: Final = ("graphiql.min.css", "style.css")
"""GraphiQL's styles, then the explorer plugin's."""

_SCRIPTS: Final = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql-plugin-explorer.umd.js",
)
"""UMD bundles in load order: each one reads the globals the ones before it defined."""

IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"
"""For a URL without the current digest: the ETag makes the check cheap."""

TITLE: Final = "mychangsha · GraphiQL"

DEFAULT_QUERY: Final = """\
# Attractions nearest to Wuyi Square (五一广场), with their live crowd levels.
# Ctrl-Enter runs it; the explorer in the left sidebar builds queries by clicking.
query NearbyAttractions {
  attractions(near: {lat: 28.196, lng: 112.977}, first: 5) {
    edges {
      distanceMeters
      node {
        id
        name
        district
        level
        crowdLevel
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file held in memory with its gzip form, ready to answer any request for it."""

    body: bytes
    gzipped: bytes
    media_type: str
    digest: str


@functools.cache
def load_assets() -> dict[str, Asset]:
    """Read the allow-listed files once per process; only these names are ever served.

    Serving from memory by exact name (no file system path built from the request) rules
    out directory traversal by construction, and also works if the package is zipped.
    """
    try:
        root = importlib.resources.files(ASSET_PACKAGE) / "static" / ASSET_PACKAGE
    except ModuleNotFoundError as exc:  # pragma: no cover - a broken install
        raise RuntimeError(
            f"the GraphiQL assets package {ASSET_PACKAGE!r} is not installed; "
            "reinstall mychangsha or disable the IDE (GRAPHQL_IDE=false)"
        ) from exc
    assets: dict[str, Asset] = {}
    for names, media_type in ((_STYLESHEETS, _CSS), (_SCRIPTS, _JS)):
        for name in names:
            body = (root / name).read_bytes()
            assets[name] = Asset(
                body=body,
                # mtime=0 keeps the compressed bytes, and so their ETag, the same every run.
                gzipped=gzip.compress(body, compresslevel=6, mtime=0),
                media_type=media_type,
                digest=hashlib.sha256(body).hexdigest()[:16],
            )
    return assets


def _accepts_gzip(accept_encoding: str) -> bool:
    """True when the client lists gzip (or *) with a non-zero q-value."""
    for part in accept_encoding.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if coding.lower() not in {"gzip", "*"}:
            continue
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as If-None-Match asks for."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


async def _serve_asset(request: Request) -> Response:
    """One asset: 404 unless allow-listed, gzip when accepted, 304 on a matching ETag."""
    asset = load_assets().get(request.path_params["name"])
    if asset is None:
        return PlainTextResponse("Not Found", status_code=404)
    use_gzip = _accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = f'"{asset.digest}-gz"' if use_gzip else f'"{asset.digest}"'
    headers = {
        "ETag": etag,
        "Cache-Control": IMMUTABLE if request.query_params.get("v") == asset.digest else REVALIDATE,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if _etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    return Response(
        asset.gzipped if use_gzip else asset.body, media_type=asset.media_type, headers=headers
    )


def ide_routes(
    graphql_path: str = "/graphql", assets_prefix: str = "/ide/assets"
) -> list[BaseRoute]:
    """The route serving GraphiQL's files under `assets_prefix`.

    The files are read here, at application start, so a missing package fails the boot
    loudly instead of the first person opening the IDE. `graphql_path` is accepted for
    symmetry with `render_ide_page`: the page, not the assets, depends on it.
    """
    load_assets()
    prefix = assets_prefix.rstrip("/")
    return [Route(f"{prefix}/{{name:str}}", _serve_asset, methods=["GET", "HEAD"])]


_PAGE: Final = string.Template("""\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta http-equiv="Content-Security-Policy" content="$csp">
    <title>$title</title>
    <link rel="icon" href="data:,">
$stylesheets
    <style>
      html, body { height: 100%; margin: 0; overflow: hidden; width: 100%; }
      #ide-files { box-sizing: border-box; font: 13px sans-serif; height: 32px;
                   padding: 6px 12px; border-bottom: 1px solid #ddd; }
      #graphiql { height: calc(100vh - 32px); }
    </style>
  </head>
  <body>
    <div id="ide-files">
      <label>Files for uploads: <input type="file" id="ide-file-input" multiple></label>
      <span>— in the variables, write "@0", "@1", … where an <code>Upload</code> goes.</span>
    </div>
    <div id="graphiql">Loading…</div>
    <script type="application/json" id="ide-config">$config</script>
$scripts
    <script>$boot</script>
  </body>
</html>
""")

_BOOT: Final = """
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ide-config").textContent);
  var httpUrl = new URL(config.graphqlPath, window.location.href);
  var wsUrl = new URL(httpUrl.href);
  wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";
  // Subscriptions speak graphql-transport-ws (graphql-ws is bundled in GraphiQL); the headers
  // from the headers editor travel as the connection's init payload.
  var plainFetcher = GraphiQL.createFetcher({ url: httpUrl.href, subscriptionUrl: wsUrl.href });
  var fileInput = document.getElementById("ide-file-input");

  // Replaces every "@N" string in the variables by null and records its path: the GraphQL
  // multipart request spec's `map`.
  function placeholders(value, path, found) {
    if (typeof value === "string" && /^@[0-9]+$/.test(value)) {
      found.push([Number(value.slice(1)), path]);
      return null;
    }
    if (Array.isArray(value)) {
      return value.map(function (item, i) { return placeholders(item, path + "." + i, found); });
    }
    if (value && typeof value === "object") {
      var copy = {};
      Object.keys(value).forEach(function (k) {
        copy[k] = placeholders(value[k], path + "." + k, found);
      });
      return copy;
    }
    return value;
  }

  // Operations with "@N" placeholders go out as multipart requests carrying the chosen files
  // (with the CSRF header uploads need); everything else uses GraphiQL's own fetcher.
  function fetcher(params, options) {
    var found = [];
    var variables = placeholders(params.variables || {}, "variables", found);
    if (!found.length) { return plainFetcher(params, options); }
    var form = new FormData();
    form.append("operations", JSON.stringify({
      query: params.query, operationName: params.operationName, variables: variables
    }));
    var map = {};
    found.forEach(function (entry, i) { map[String(i)] = [entry[1]]; });
    form.append("map", JSON.stringify(map));
    found.forEach(function (entry, i) {
      var file = fileInput.files[entry[0]];
      if (!file) { throw new Error("No file @" + entry[0] + ": choose files above"); }
      form.append(String(i), file, file.name);
    });
    var headers = Object.assign({}, (options && options.headers) || {});
    headers["apollo-require-preflight"] = "true";
    return fetch(httpUrl.href, { method: "POST", body: form, headers: headers })
      .then(function (response) { return response.json(); });
  }
  var stored = null;
  try { stored = window.localStorage.getItem("graphiql:query"); } catch (e) { stored = null; }

  function App() {
    var state = React.useState(stored || config.defaultQuery);
    var query = state[0];
    var setQuery = state[1];
    var explorer = GraphiQLPluginExplorer.useExplorerPlugin({ query: query, onEdit: setQuery });
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      query: query,
      onEditQuery: setQuery,
      defaultQuery: config.defaultQuery,
      plugins: [explorer],
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true
    });
  }

  ReactDOM.render(React.createElement(App), document.getElementById("graphiql"));
})();
"""
"""Boots GraphiQL from the JSON config block; static, so its CSP hash is a constant."""


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: no `</script>`, `<!--` or `&` can appear in it."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _csp() -> str:
    """Nothing but this origin: proof in the browser that the page needs no other host.

    Inline styles are allowed because GraphiQL and CodeMirror set them; the one inline script
    is allowed by its hash; fonts and the favicon are data: URLs inside our own files.
    """
    boot_hash = base64.b64encode(hashlib.sha256(_BOOT.encode()).digest()).decode()
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'sha256-{boot_hash}'",
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


@functools.cache
def render_ide_page(graphql_path: str, assets_prefix: str = "/ide/assets") -> str:
    """The whole GraphiQL page; a pure function of its arguments, computed once per process.

    Every URL in it is a path on this origin: the assets under `assets_prefix` and the
    endpoint at `graphql_path`, over HTTP POST for queries and a WebSocket for subscriptions.
    """
    assets = load_assets()
    prefix = html.escape(assets_prefix.rstrip("/"), quote=True)

    def url(name: str) -> str:
        return f"{prefix}/{name}?v={assets[name].digest}"

    stylesheets = "\n".join(
        f'    <link rel="stylesheet" href="{url(name)}">' for name in _STYLESHEETS
    )
    scripts = "\n".join(f'    <script src="{url(name)}"></script>' for name in _SCRIPTS)
    config = _script_json({"graphqlPath": graphql_path, "defaultQuery": DEFAULT_QUERY})
    return _PAGE.substitute(
        csp=html.escape(_csp(), quote=True),
        title=html.escape(TITLE),
        stylesheets=stylesheets,
        scripts=scripts,
        config=config,
        boot=_BOOT,
    )
