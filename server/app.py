"""The web application on Starlette: GraphQL (GraphiQL in a browser), the exports and the console."""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import itertools
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Iterator
from urllib.parse import parse_qs

import anyio
import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from sqlalchemy.exc import DBAPIError, OperationalError
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError

from . import console
from .auth import ANONYMOUS, Viewer, cookie_token, same_origin, viewer_for
from .exports import routes as export_routes

log = logging.getLogger("countypay")


@dataclass(frozen=True)
class Settings:
    public_read: bool = False  # anonymous callers read as a supervisor (the demo on localhost)
    introspection: bool = True
    max_body: int = 256 * 1024  # bytes of a request body
    time_budget: float = 10.0  # seconds a request may run before its next statement is refused
    concurrency: int = 6  # requests a worker serves at once (each may hold two pooled connections)


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


MAX_JSON_DEPTH = 32  # no request of the schema nests its JSON deeper


def checked_json(data: str | bytes) -> Any:
    """A request's JSON, refused with a 400 (never a 500) when it is not UTF-8, nests deeper than
    MAX_JSON_DEPTH, or holds a lone surrogate (\\ud800), which no database can store."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise HTTPException(400, f"the request body is not UTF-8 (byte {e.start})") from None
    too_deep = HTTPException(400, f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(data)
    except RecursionError:
        raise too_deep from None
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise HTTPException(400, "a string of the request holds a lone surrogate: it is not text") from None
        elif isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise too_deep
            if isinstance(item, dict):
                stack.extend((k, depth + 1) for k in item)
                item = item.values()
            stack.extend((v, depth + 1) for v in item)
    return value


class TimeUp(GraphQLError):
    """A request ran past its time budget: its next statement was refused, or the running one
    stopped (SQLite's progress handler, PostgreSQL's statement_timeout)."""

    def __init__(self, budget: float):
        super().__init__(f"the request ran past its time budget of {budget:g} s and was stopped; "
                         "ask for less at once (smaller pages) or try again", extensions={"code": "TIMEOUT"})
        self.budget = budget


_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("countypay_deadline",
                                                                                      default=None)


@contextlib.contextmanager
def budgeted(seconds: float):
    """Within the block, every statement of a watched engine (see watch) is held to a deadline
    `seconds` from now: the code that runs a request, and the tests of it."""
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


_dear = threading.local()  # .thread: this worker thread runs requests the cost reckoning finds dear
_cheap = [0]  # cheap requests the loop is answering now
GIVE_WAY = 0.02  # seconds a dear request waits at most, at one point, for the cheap ones to finish


@contextlib.contextmanager
def _cheap_in_flight():
    _cheap[0] += 1
    try:
        yield
    finally:
        _cheap[0] -= 1


def give_way(dear: bool | None = None) -> None:
    """On a dear request's thread, before each statement and each piece of its answer: while the
    loop answers cheap requests, wait (up to GIVE_WAY). Both want the one interpreter lock, and
    shared evenly a report of 50 MB would make every small query on the loop twice as slow."""
    if _cheap[0] and (getattr(_dear, "thread", False) if dear is None else dear):
        end = time.monotonic() + GIVE_WAY
        while _cheap[0] and time.monotonic() < end:
            time.sleep(0.0005)


def _before_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    """Refuse a statement once the request's budget is spent; on SQLite, let the statement itself
    stop when it runs past the deadline (set afresh on every statement, so a pooled connection
    never keeps an earlier request's). A dear request gives way to cheap ones first."""
    give_way()
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline[0]:
        raise TimeUp(deadline[1])
    if conn.dialect.name == "sqlite":
        handler = None if deadline is None else (lambda: time.monotonic() > deadline[0])
        conn.connection.driver_connection.set_progress_handler(handler, 20_000)


def _statement_stopped(context) -> None:
    """A statement SQLite interrupted or PostgreSQL cancelled (statement_timeout) is the budget's
    doing: it answers TIMEOUT, not as a database failure."""
    error = context.original_exception
    if getattr(error, "sqlstate", None) == "57014" or str(error) == "interrupted":
        deadline = _deadline.get()
        raise TimeUp(deadline[1] if deadline else Settings.time_budget) from None


def watch(engine: Engine) -> None:
    """Hold every statement of the engine to the current request's deadline."""
    if not event.contains(engine, "before_cursor_execute", _before_statement):
        event.listen(engine, "before_cursor_execute", _before_statement)
        event.listen(engine, "handle_error", _statement_stopped)


_loops = threading.local()


def _run_in_own_loop(coroutine):
    """Run a coroutine to its end on this worker thread's own event loop (made once per thread),
    so that its synchronous resolvers and DataLoaders never hold the server's loop."""
    loop = getattr(_loops, "loop", None)
    if loop is None:
        loop = _loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


SECURITY_HEADERS = [(k.encode(), v.encode()) for k, v in (
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),  # pages send their own
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    # same-origin, not no-referrer: under no-referrer a browser without Sec-Fetch-Site sends
    # `Origin: null` on a POST of this server's own pages, and sign-in would be refused
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),  # county data stays out of shared caches; static files send their own
)]


def _error_json(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status,
                        headers=headers)


class Shield:
    """ASGI middleware, the outermost layer: every response leaves with the security headers, and
    an exception nobody handled leaves as a coded JSON 500 without a trace (the trace goes to the
    server's log)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def secured_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        try:
            if "\x00" in scope["path"]:  # names no file, page or row, and the file system refuses it
                return await _error_json(404, "NOT_FOUND", "no such address")(scope, receive, secured_send)
            await self.app(scope, receive, secured_send)
        except Exception as e:  # noqa: BLE001 - the last line: no trace reaches a client
            status, code, message = _failure(e)
            if not started:  # else a handler answered already (Starlette's 500 raises on, to be logged)
                await _error_json(status, code, message)(scope, receive, secured_send)
            if status == 500:
                log.exception("%s %s failed", scope.get("method"), scope.get("path"))


def _failure(e: BaseException) -> tuple[int, str, str]:
    """The status, code and message that answer an exception the handlers did not."""
    if isinstance(e, BodyTooLarge):
        return 413, "TOO_LARGE", str(e)
    if isinstance(e, TimeUp):
        return 503, "TIMEOUT", e.message
    if isinstance(e, OperationalError) or isinstance(e, DBAPIError) and e.connection_invalidated:
        return 503, "UNAVAILABLE", "the database is not available; try again shortly"
    return 500, "INTERNAL", "Internal error: the request was not completed."


async def _answer_failure(request: Request, e: Exception) -> JSONResponse:
    status, code, message = _failure(e)
    return _error_json(status, code, message, {"Retry-After": "5"} if status == 503 else None)


async def _answer_http(request: Request, e: StarletteHTTPException) -> Response:
    """Starlette's own refusals (no such address, a method a route does not take) as coded JSON."""
    if e.status_code in (204, 304):
        return Response(status_code=e.status_code, headers=e.headers)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(e.status_code) or HTTPStatus(e.status_code).name
    message = "no such address" if e.status_code == 404 else e.detail
    return _error_json(e.status_code, code, message, e.headers)


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
    Authorization header, else the console's sign-in cookie), starts the request's time budget,
    and closes the request's database sessions when the response is done. At most
    `concurrency` requests are inside at once, so they never wait on each other for a pooled
    connection. Static files and /health pass straight through: a health check answers
    whatever else runs."""

    def __init__(self, app, engine: Engine, settings: Settings):
        self.app, self.engine, self.settings = app, engine, settings
        self._slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> semaphore

    def slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._slots:
            self._slots[loop] = asyncio.Semaphore(self.settings.concurrency)
        return self._slots[loop]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/") or scope["path"] == "/health":
            return await self.app(scope, receive, send)
        from .schema.context import close_sessions, track_sessions

        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        media = media_type(headers.get("accept")) or JSON
        length = headers.get("content-length")
        if length and (not length.isdigit() or int(length) > self.settings.max_body):
            return await _graphql_error(413, "TOO_LARGE", f"request body over {self.settings.max_body} bytes",
                                        media)(scope, receive, send)
        async with self.slots():
            token = track_sessions()
            try:
                with budgeted(self.settings.time_budget):
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
        state = scope.setdefault("state", {})
        state.update(session=session, media=media)
        name = functools.partial(self.name_viewer, state, authorization, by_cookie, scope["path"])
        if scope["path"] == "/graphql":
            state["name_viewer"] = name  # on the worker thread that runs the query: one hop, not two
        else:
            refusal = await anyio.to_thread.run_sync(name)  # off the loop: a slow database stalls no other request
            if refusal is not None:
                return await refusal(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.settings.max_body:
                raise BodyTooLarge(f"request body over {self.settings.max_body} bytes")
            return message

        await self.app(scope, limited_receive, send)

    def name_viewer(self, state: dict, authorization: str | None, by_cookie: bool, path: str) -> Response | None:
        """Name the request's viewer in its state (from the token), or answer why not."""
        try:
            viewer = viewer_for(state["session"], authorization) if authorization else ANONYMOUS
        except DBAPIError:
            return _graphql_error(503, "UNAVAILABLE", "the database is not available; try again shortly",
                                  state["media"])
        lapsed = viewer is None and by_cookie and not path.startswith(("/graphql", "/export/"))
        if lapsed:
            viewer = ANONYMOUS  # a page offers to sign in again
        if viewer is None:
            return _graphql_error(401, "UNAUTHENTICATED", "the token is unknown, expired or revoked", state["media"])
        if viewer is ANONYMOUS and self.settings.public_read:
            viewer = Viewer("supervisor", name="anonymous (public read)")
        state.update(viewer=viewer, signed_in=by_cookie and not lapsed)
        return None


class GraphQLApp(GraphQL):
    """Strawberry's view made to follow GraphQL over HTTP: the response media type is negotiated
    from Accept (application/graphql-response+json or application/json), a request that fails
    before execution (unparsable, invalid, bad variables) has no `data` and is a 400 under
    application/graphql-response+json, and errors of the HTTP layer are GraphQL-shaped JSON.

    Resolvers are synchronous. A request that could take long (a mutation, a query the schema's
    cost reckoning finds dear) runs on a worker thread with an event loop of its own, so the
    server's loop stays free for /health and small queries: the body is read here, then naming
    the viewer, parsing, execution and encoding the answer happen off the loop. A cheap query is
    answered on the loop itself: there it costs what it costs, where on a thread it would vie with
    the loop for the GIL and cost half as much again (its statements are held to the time budget
    like any other). While the loop answers cheap requests, a dear one gives way to them at each
    statement and each piece of its answer (give_way)."""

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
            body = await request.body()  # the receive channel belongs to this loop; a thread reads the copy
            if self.cheap(request, body):
                with _cheap_in_flight():
                    response = request.state.name_viewer() or await self.run(request)
                    await response(scope, receive, send)
                return
            else:
                response = await anyio.to_thread.run_sync(self.answer, request)
        except ClientDisconnect:
            return
        except BodyTooLarge as e:
            response = _graphql_error(413, "TOO_LARGE", str(e), media or JSON)
        except RecursionError:  # graphql-core parses and validates recursively
            response = _graphql_error(400, "BAD_REQUEST", "the query nests too deep", media or JSON)
        except HTTPException as e:
            status = e.status_code
            if status == 400 and isinstance(e.__cause__, InvalidOperationTypeError):
                status, headers = 405, {"Allow": "POST"}  # a mutation sent by GET
            elif status == 405:
                headers = {"Allow": "GET, POST"}
            response = _graphql_error(status, None, e.reason, media or JSON, headers)
        await response(scope, receive, send)

    def answer(self, request: Request) -> Response:
        """On a worker thread: name the viewer, then run the request on this thread's own loop."""
        _dear.thread = True
        try:
            refusal = request.state.name_viewer()
            return refusal if refusal is not None else _run_in_own_loop(self.run(request))
        finally:
            _dear.thread = False

    def cheap(self, request: Request, body: bytes) -> bool:
        """Whether the request is a query the schema's cost limit reckons at most CHEAP. Anything
        else (a mutation, a dear query, a body that does not read) goes to a worker thread, where
        its refusal, if any, is made as usual."""
        from .schema.limits import cost

        try:
            data = dict(request.query_params) if request.method == "GET" else json.loads(body)
            variables = data.get("variables") or {}
            if isinstance(variables, str):
                variables = json.loads(variables)
            document, name = _document(data["query"]), data.get("operationName")
            operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                             and (name is None or d.name is not None and d.name.value == name))
            return operation.operation == OperationType.QUERY and \
                cost(self.schema._schema, document, name, dict(variables)) <= CHEAP
        except Exception:  # noqa: BLE001 - only where it runs is decided here
            return False

    async def render_graphql_ide(self, request: Request) -> Response:
        return console.graphiql_page(request, self.public_read)

    def decode_json(self, data: str | bytes) -> object:
        value = checked_json(data)
        if isinstance(data, bytes) and not (  # the body (a query parameter comes as text)
                isinstance(value, dict) or isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            raise HTTPException(400, 'the body is a JSON object: {"query": "…", "variables": {…}}')
        return value

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
        for e in result.errors or ():  # free what the errors' frames hold now, not at a rare full collection
            _forget_frames(e)
        data = await super().process_result(request, result)
        if result.errors and result.data is None and all(e.path is None for e in result.errors):
            del data["data"]  # it failed before execution: nothing ran
            if request.state.media_type == GRAPHQL_RESPONSE:
                request.state.sub_response.status_code = 400
        return data

    def create_response(self, response_data, sub_response):
        """The answer, encoded in pieces (see json_pieces); one past STREAM_FROM bytes is sent as
        it is encoded, so that its text is never held whole."""
        pieces, head, size = json_pieces(response_data), [], 0
        for piece in pieces:
            head.append(piece)
            size += len(piece)
            if size > STREAM_FROM:
                response = StreamingResponse(_chunks(itertools.chain(head, pieces), getattr(_dear, "thread", False)))
                break
        else:
            response = Response(b"".join(head))
        response.status_code = sub_response.status_code or 200
        response.headers.raw.extend(sub_response.headers.raw)
        response.headers["content-type"] = sub_response.media_type
        return response


def _forget_frames(error: BaseException) -> None:
    """Drop the tracebacks of an error and of the errors behind it: a traceback keeps every frame
    of the executor alive, and with them the partial answer, in cycles only a full collection
    frees (a stopped heavy query left hundreds of megabytes so)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = getattr(error, "original_error", None) or error.__cause__ or error.__context__


CHEAP = 1_000  # a query of at most this cost is cheap (a page of a thousand lines with traces: ~3 ms)


@functools.lru_cache(maxsize=256)
def _document(query: str):
    return parse(query, max_tokens=5_000)


PIECE = 256  # list items encoded in one call of the encoder
STREAM_FROM = 1 << 20  # bytes of an answer held before it is streamed


def json_pieces(value: Any) -> Iterator[bytes]:
    """Compact UTF-8 JSON of a GraphQL answer in pieces: a list of plain objects (settlement
    lines, say) is encoded PIECE items at a time, and the objects around lists are walked. One
    call of the encoder then holds the GIL, and with it every other request, for a moment, not
    for a whole large answer. A value that is already JSON text (`orjson.Fragment`: a stored
    trace) is copied in as it is, never parsed nor encoded again."""
    if isinstance(value, dict):
        yield b"{"
        for i, (key, item) in enumerate(value.items()):
            yield (b"," if i else b"") + _dumps(key) + b":"
            yield from json_pieces(item)
        yield b"}"
    elif isinstance(value, list) and value and isinstance(value[0], dict) and not _plain_object(value[0]):
        yield b"["
        for i, item in enumerate(value):
            if i:
                yield b","
            yield from json_pieces(item)
        yield b"]"
    elif isinstance(value, list) and len(value) > PIECE:
        yield b"["
        for i in range(0, len(value), PIECE):
            yield (b"," if i else b"") + _dumps(value[i:i + PIECE])[1:-1]
        yield b"]"
    else:
        yield _dumps(value)


def _plain_object(item: dict) -> bool:
    """Whether an object holds no list, directly or one level down (a line with its trace)."""
    return not any(isinstance(v, list) or isinstance(v, dict) and any(isinstance(x, list) for x in v.values())
                   for v in item.values())


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # a lone surrogate in a message: escaped, as the standard encoder does
        return json.dumps(value, separators=(",", ":")).encode()


def _chunks(pieces: Iterator[bytes], dear: bool, size: int = 1 << 16) -> Iterator[bytes]:
    """The pieces in chunks of about `size` bytes (a dear answer's giving way to cheap requests
    before each: they are encoded on whichever worker thread sends them)."""
    chunk, held = [], 0
    for piece in pieces:
        chunk.append(piece)
        held += len(piece)
        if held >= size:
            give_way(dear)
            yield b"".join(chunk)
            chunk, held = [], 0
    if chunk:
        yield b"".join(chunk)


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(engine: Engine, settings: Settings | None = None) -> Shield:
    settings = settings or Settings()
    watch(engine)
    graphql = GraphQLApp(engine, settings)
    routes = [
        Route("/health", health),
        Route("/graphql", graphql),
        *export_routes,
        *console.routes(settings.public_read),
    ]
    app = Starlette(routes=routes, exception_handlers={StarletteHTTPException: _answer_http,
                                                       BodyTooLarge: _answer_failure, TimeUp: _answer_failure,
                                                       Exception: _answer_failure})
    app.state.engine = engine
    return Shield(Guard(app, engine, settings))


def from_environment():
    """The app as `countypay serve --workers N` starts it in each worker process: the database
    and settings come from COUNTYPAY_SERVE_* variables the command sets."""
    import gc
    import os
    import sys

    from .db import make_engine

    env = os.environ
    settings = Settings(public_read=env.get("COUNTYPAY_SERVE_PUBLIC_READ") == "1",
                        introspection=env.get("COUNTYPAY_SERVE_INTROSPECTION", "1") == "1",
                        time_budget=float(env.get("COUNTYPAY_TIME_BUDGET") or Settings.time_budget))
    # PostgreSQL stops a statement that outlives the budget by itself (SQLite: see watch)
    app = create_app(make_engine(env["COUNTYPAY_SERVE_DB"], statement_timeout=settings.time_budget), settings)
    # What is built by now (modules, schema, plugins) lives as long as the worker: keep it out
    # of every later collection, which then scans only what requests allocate.
    gc.collect()
    gc.freeze()
    # A large answer allocates millions of objects that live until it is sent: at the default
    # thresholds they set off a full collection of 0.3 s or more every million or so, holding the
    # GIL and with it every other request. Full collections a hundred times rarer (young ones as
    # by default); what requests leave behind is freed by reference counting, not by cycles.
    gc.set_threshold(700, 10, 1000)
    # A thread that wants the GIL (the event loop, a small request) gets it within 1 ms, not 5.
    sys.setswitchinterval(0.001)
    return app
