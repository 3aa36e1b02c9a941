"""The web application on Starlette: GraphQL (GraphiQL in a browser), the exports and the console."""
from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs

from cross_web import HTTPException
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from sqlalchemy.exc import DBAPIError
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError

from . import console
from .auth import ANONYMOUS, Viewer, cookie_token, same_origin, viewer_for
from .exports import routes as export_routes


@dataclass(frozen=True)
class Settings:
    public_read: bool = False  # anonymous callers read as a supervisor (the demo on localhost)
    introspection: bool = True
    max_body: int = 256 * 1024  # bytes of a request body


JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def media_type(accept: str | None) -> str | None:
    """The response media type an Accept header asks for (GraphQL over HTTP): of the two supported
    types, the one of higher q (each type takes the q of its most specific range, q=0 refusing
    it), then the more specific range, then the one listed first; application/json for no header
    or a bare wildcard. None when neither type is acceptable (answered with 406)."""
    if not accept or not accept.strip():
        return JSON
    ranges = []  # (media range, q, position)
    for index, item in enumerate(accept.split(",")):
        kind, *params = [p.strip() for p in item.split(";")]
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((kind.lower(), q, index))
    best, best_key = None, None
    for supported in (GRAPHQL_RESPONSE, JSON):
        matches = [({supported: 2, "application/*": 1, "*/*": 0}[kind], -index, q)
                   for kind, q, index in ranges if kind in (supported, "application/*", "*/*")]
        if not matches:
            continue
        specific, position, q = max(matches)
        key = (q, specific, position, supported == JSON)
        if q > 0 and (best_key is None or key > best_key):
            best, best_key = supported, key
    return best


# Stable codes for errors answered before GraphQL runs; other statuses use their HTTP name.
_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 413: "TOO_LARGE"}


def _graphql_error(status: int, code: str | None, message: str, media: str = JSON,
                   headers: dict | None = None) -> JSONResponse:
    """A GraphQL-shaped error response (no `data`: nothing ran) in the negotiated media type."""
    code = code or _CODES.get(status) or HTTPStatus(status).name
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status,
                        media_type=media, headers=headers)


class BodyTooLarge(ValueError):
    """A body without Content-Length grew past the limit while it was read."""


def runs_graphql(scope) -> bool:
    """Whether a request to /graphql would run an operation (a GET without `query` only opens
    GraphiQL)."""
    if scope["path"] != "/graphql":
        return False
    return scope["method"] != "GET" or "query" in parse_qs(scope.get("query_string", b"").decode("latin-1"))


def cookie_refusal(scope, headers: dict[str, str]) -> str | None:
    """Why a request may not act on the sign-in cookie. A browser sends the cookie by itself, so
    GraphQL takes it only on a JSON POST from this server's own pages: a form or link of another
    site can send neither (the cookie's SameSite=Strict keeps it off cross-site requests too)."""
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if scope["method"] != "POST" or media != JSON:
        return "a signed-in browser sends GraphQL as a JSON POST (or send Authorization: Bearer instead)"
    if not same_origin(headers, scope.get("scheme", "http")):
        return "a request from another site may not use this server's sign-in"
    return None


class Guard:
    """ASGI middleware: refuses oversized bodies and unknown tokens, names the viewer (from the
    Authorization header, else the console's sign-in cookie), and closes the request's database
    sessions when the response is done. Static files pass straight through."""

    def __init__(self, app, engine: Engine, settings: Settings):
        self.app, self.engine, self.settings = app, engine, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        from .schema.context import close_sessions, track_sessions

        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        media = media_type(headers.get("accept")) or JSON
        length = headers.get("content-length")
        if length and (not length.isdigit() or int(length) > self.settings.max_body):
            return await _graphql_error(413, "TOO_LARGE", f"request body over {self.settings.max_body} bytes",
                                        media)(scope, receive, send)
        token = track_sessions()
        try:
            await self.guarded(scope, receive, send, headers, media)
        finally:
            close_sessions(token)

    async def guarded(self, scope, receive, send, headers: dict[str, str], media: str):
        from .schema.context import open_session

        authorization, by_cookie = headers.get("authorization"), False
        secret = None if authorization else cookie_token(headers.get("cookie"))
        if secret and runs_graphql(scope):
            refusal = cookie_refusal(scope, headers)
            if refusal:
                return await _graphql_error(403, "FORBIDDEN", refusal, media)(scope, receive, send)
            authorization, by_cookie = f"Bearer {secret}", True
        elif secret and same_origin(headers, scope.get("scheme", "http")):  # pages, GraphiQL, exports
            authorization, by_cookie = f"Bearer {secret}", True
        session = open_session(self.engine)  # the request's one session: the token, then the query
        try:
            viewer = viewer_for(session, authorization)
        except DBAPIError:
            return await _graphql_error(503, "UNAVAILABLE", "the database is not available; try again shortly",
                                        media)(scope, receive, send)
        lapsed = viewer is None and by_cookie and not scope["path"].startswith(("/graphql", "/export/"))
        if lapsed:
            viewer = ANONYMOUS  # a page offers to sign in again
        if viewer is None:
            return await _graphql_error(401, "UNAUTHENTICATED", "the token is unknown, expired or revoked",
                                        media)(scope, receive, send)
        if viewer is ANONYMOUS and self.settings.public_read:
            viewer = Viewer("supervisor", name="anonymous (public read)")
        scope.setdefault("state", {}).update(viewer=viewer, session=session, signed_in=by_cookie and not lapsed)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.settings.max_body:
                raise BodyTooLarge(f"request body over {self.settings.max_body} bytes")
            return message

        await self.app(scope, limited_receive, send)


class GraphQLApp(GraphQL):
    """Strawberry's view made to follow GraphQL over HTTP: the response media type is negotiated
    from Accept (application/graphql-response+json or application/json), a request that fails
    before execution (unparsable, invalid, bad variables) has no `data` and is a 400 under
    application/graphql-response+json, and errors of the HTTP layer are GraphQL-shaped JSON."""

    def __init__(self, engine: Engine, settings: Settings):
        from .schema import build

        super().__init__(build(introspection=settings.introspection), graphql_ide="graphiql")
        self.engine, self.public_read = engine, settings.public_read

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope, receive)
        media = media_type(request.headers.get("accept"))
        request.state.media_type = media or JSON
        headers = None
        try:
            if media is None and not self.should_render_graphql_ide(self.request_adapter_class(request)):
                raise HTTPException(406, f"responses are {GRAPHQL_RESPONSE} or {JSON}")
            response = await self.run(request)
        except BodyTooLarge as e:
            response = _graphql_error(413, "TOO_LARGE", str(e), media or JSON)
        except HTTPException as e:
            status = e.status_code
            if status == 400 and isinstance(e.__cause__, InvalidOperationTypeError):
                status, headers = 405, {"Allow": "POST"}  # a mutation sent by GET
            elif status == 405:
                headers = {"Allow": "GET, POST"}
            response = _graphql_error(status, None, e.reason, media or JSON, headers)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        return console.graphiql_page(request, self.public_read)

    async def get_context(self, request: Request, response):
        from .schema.context import Context

        return Context(engine=self.engine, viewer=request.state.viewer, request=request,
                       _session=request.state.session)

    async def get_sub_response(self, request: Request):
        sub = await super().get_sub_response(request)
        sub.media_type = request.state.media_type
        request.state.sub_response = sub  # process_result sets its status
        return sub

    async def process_result(self, request: Request, result):
        data = await super().process_result(request, result)
        if result.errors and result.data is None and all(e.path is None for e in result.errors):
            del data["data"]  # it failed before execution: nothing ran
            if request.state.media_type == GRAPHQL_RESPONSE:
                request.state.sub_response.status_code = 400
        return data

    def create_response(self, response_data, sub_response):
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = sub_response.media_type
        return response


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(engine: Engine, settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    graphql = GraphQLApp(engine, settings)
    routes = [
        Route("/health", health),
        Route("/graphql", graphql),
        *export_routes,
        *console.routes(settings.public_read),
    ]
    app = Starlette(routes=routes)
    app.state.engine = engine
    return Guard(app, engine, settings)


def from_environment():
    """The app as `countypay serve --workers N` starts it in each worker process: the database
    and settings come from COUNTYPAY_SERVE_* variables the command sets."""
    import gc
    import os

    from .store import open_store

    env = os.environ
    settings = Settings(public_read=env.get("COUNTYPAY_SERVE_PUBLIC_READ") == "1",
                        introspection=env.get("COUNTYPAY_SERVE_INTROSPECTION", "1") == "1")
    app = create_app(open_store(env["COUNTYPAY_SERVE_DB"], migrate=False), settings)
    # What is built by now (modules, schema, plugins) lives as long as the worker: keep it out
    # of every later collection, which then scans only what requests allocate.
    gc.collect()
    gc.freeze()
    return app
