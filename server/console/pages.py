"""The console's addresses: page shells (HTML with no figures in it; their scripts ask `/graphql`
for everything they show), GraphiQL, sign-in and sign-out, and the static files.

Chinese first: `?lang=en` switches a browser to English (kept in a cookie), `?lang=zh` back. Every
page is served with a Content-Security-Policy that lets it load and fetch from this server only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..auth import ANONYMOUS, COOKIE, same_origin, viewer_for
from .static_files import STATIC, missing, static, vendor
from .strings import STRINGS

LANGS = ("zh", "en")
LANG_COOKIE = "countypay_lang"
SIGNED_IN_HOURS = 12  # a working day: a forgotten browser does not stay signed in for long
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


@dataclass(frozen=True)
class Page:
    """A console page: its title (a key of STRINGS), its script under static/console/ and whether
    it draws the components' charts (static/console/charts/)."""

    title: str
    script: str
    charts: bool = True


PAGES = {
    "province": Page("province.title", "province.js"),
    "county": Page("county.title", "county.js"),
    "settlement": Page("settlement.title", "settlement.js"),
    "map": Page("map.title", "map.js", charts=False),
}


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGS else "zh"


def chart_scripts() -> list[str]:
    """Every chart module: a new kind of chart is a new file, no list to update."""
    return sorted(f"console/charts/{p.name}" for p in (STATIC / "console" / "charts").glob("*.js"))


def _who(request: Request, words: dict, public_read: bool) -> str:
    viewer = getattr(request.state, "viewer", ANONYMOUS)
    if getattr(request.state, "signed_in", False):
        role = words.get(f"role.{viewer.role}", viewer.role)
        return (f'<span class="who">{escape(words["signed_in_as"])} {escape(viewer.name)} ({escape(role)})</span>'
                f'<form method="post" action="/signout" class="inline"><button type="submit">'
                f'{escape(words["sign_out"])}</button></form>')
    note = words["public_read"] if public_read else words["anonymous"]
    return f'<span class="who">{escape(note)}</span><a href="/signin">{escape(words["sign_in"])}</a>'


def shell(request: Request, lang: str, title: str, main: str, *, scripts: list[str] = (), styles: list[str] = (),
          public_read: bool = False, status: int = 200, page: str = "", args: dict | None = None,
          full: bool = False) -> HTMLResponse:
    """A page: the header (navigation, who is signed in, the language switch), `main`, and the
    scripts, each checked to be in the package; a missing one is named on the page at once. If a
    script fails in the browser instead, the notice in `main` shows itself after a few seconds."""
    words = STRINGS[lang]
    absent = missing([*scripts, *styles])
    if absent:
        status, scripts = 500, []
        main = (f'<p class="error">{escape(words["error.package"])}</p><ul>'
                + "".join(f"<li><code>static/{escape(p)}</code></li>" for p in absent) + "</ul>")
    other = "en" if lang == "zh" else "zh"
    switch = request.url.include_query_params(lang=other)
    head = "".join(f'<link rel="stylesheet" href="/static/{escape(s)}">' for s in ["console/console.css", *styles])
    tail = "".join(f'<script defer src="/static/{escape(s)}"></script>' for s in scripts)
    html = f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}" data-lang="{lang}" data-page="{escape(page)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · countypay</title><link rel="icon" href="data:,">{head}
<style>.boot-failed{{visibility:hidden;animation:reveal 0s 10s forwards}}@keyframes reveal{{to{{visibility:visible}}}}</style>
<script type="application/json" id="strings">{_json(words)}</script>
<script type="application/json" id="args">{_json(args or {})}</script>
{tail}</head>
<body class="{'full' if full else ''}">
<header class="top"><a class="brand" href="/">countypay</a>
<nav><a href="/">{escape(words["province.title"])}</a><a href="/graphql">GraphiQL</a></nav>
<span class="spacer"></span>{_who(request, words, public_read)}
<a class="lang" href="{escape(str(switch.path) + '?' + switch.query)}" hreflang="{other}">{escape(words["switch"])}</a>
</header>
<main id="main">{main}</main>
</body></html>"""
    response = HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP,
                                                               "X-Content-Type-Options": "nosniff"})
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _json(value) -> str:
    """JSON to embed in a page: "</" is escaped so no value can close the script element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def booting(words: dict) -> str:
    return (f'<p id="boot" class="loading">{escape(words["loading"])}'
            f'<span class="boot-failed"> {escape(words["error.boot"])}</span></p>')


def page(name: str, public_read: bool):
    spec = PAGES[name]

    async def endpoint(request: Request) -> Response:
        lang = language(request)
        words = STRINGS[lang]
        scripts = [vendor("echarts", "echarts.min.js"), "console/console.js", *(chart_scripts() if spec.charts else []),
                   f"console/{spec.script}"]
        return shell(request, lang, words[spec.title], booting(words), scripts=scripts, public_read=public_read,
                     page=name, args={**{k: str(v) for k, v in request.path_params.items()},
                                    "echarts": "/static/" + scripts[0]})

    return endpoint


def graphiql_page(request: Request, public_read: bool = False) -> Response:
    """GraphiQL, every file of it from this server (no CDN): it works on a network without internet."""
    lang = language(request)
    scripts = [vendor("react", "react.production.min.js"), vendor("react-dom", "react-dom.production.min.js"),
               vendor("graphiql", "graphiql.min.js"), "console/graphiql.js"]
    main = f'<div id="graphiql">{booting(STRINGS[lang])}</div>'
    return shell(request, lang, "GraphiQL", main, scripts=scripts, styles=[vendor("graphiql", "graphiql.min.css")],
                 public_read=public_read, page="graphiql", full=True)


# ---- sign-in


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this server, never another site."""
    return value if value and value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def _signin_form(request: Request, lang: str, public_read: bool, error: str = "", status: int = 200,
                 next_page: str = "/") -> HTMLResponse:
    w = STRINGS[lang]
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    main = f"""<section class="narrow"><h1>{escape(w["sign_in"])}</h1>{problem}
<p>{escape(w["signin.help"])}</p>
<form method="post" action="/signin" class="signin">
<input type="hidden" name="next" value="{escape(next_page)}">
<label>{escape(w["signin.token"])} <input type="password" name="token" autocomplete="off" required autofocus></label>
<button type="submit">{escape(w["sign_in"])}</button></form>
<p class="muted">{escape(w["signin.cookie"])}</p></section>"""
    return shell(request, lang, w["sign_in"], main, public_read=public_read, status=status, page="signin")


def signin(public_read: bool):
    async def endpoint(request: Request) -> Response:
        lang = language(request)
        w = STRINGS[lang]
        if request.method == "GET":
            return _signin_form(request, lang, public_read, next_page=_next(request.query_params.get("next")))
        if not same_origin(request.headers, request.url.scheme):
            return _signin_form(request, lang, public_read, w["signin.cross_site"], 403)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        secret = (form.get("token") or [""])[0].strip()
        next_page = _next((form.get("next") or ["/"])[0])
        try:
            with Session(request.app.state.engine) as session:
                viewer = viewer_for(session, f"Bearer {secret}") if secret else None
        except DBAPIError:
            return _signin_form(request, lang, public_read, w["error.database"], 503, next_page)
        if viewer is None or viewer.role == "anonymous":
            return _signin_form(request, lang, public_read, w["signin.refused"], 401, next_page)
        response = RedirectResponse(next_page, status_code=303)
        response.set_cookie(COOKIE, secret, max_age=SIGNED_IN_HOURS * 3600, path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    return endpoint


async def signout(request: Request) -> Response:
    if not same_origin(request.headers, request.url.scheme):
        return Response(status_code=403)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def routes(public_read: bool = False) -> list[Route]:
    return [
        Route("/", page("province", public_read)),
        Route("/counties/{code}", page("county", public_read)),
        Route("/counties/{code}/map", page("map", public_read)),
        Route("/settlements/{id:int}", page("settlement", public_read)),
        Route("/signin", signin(public_read), methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/static/{path:path}", static),
    ]
