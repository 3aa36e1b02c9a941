"""The web application: GraphQL (with GraphiQL in the browser) on Starlette."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL

from .auth import ANONYMOUS, Viewer, viewer_for


@dataclass(frozen=True)
class Settings:
    public_read: bool = False  # anonymous callers read as a supervisor (the demo on localhost)
    introspection: bool = True
    max_body: int = 256 * 1024  # bytes of a request body


def _graphql_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


class Guard:
    """ASGI middleware: refuses oversized bodies and unknown tokens, names the viewer, and closes
    the request's database sessions when the response is done."""

    def __init__(self, app, engine: Engine, settings: Settings):
        self.app, self.engine, self.settings = app, engine, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from .schema.context import close_sessions, track_sessions

        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        length = headers.get("content-length")
        if length and (not length.isdigit() or int(length) > self.settings.max_body):
            return await _graphql_error(413, "TOO_LARGE", f"request body over {self.settings.max_body} bytes")(scope, receive, send)
        with Session(self.engine) as session:
            viewer = viewer_for(session, headers.get("authorization"))
        if viewer is None:
            return await _graphql_error(401, "UNAUTHENTICATED", "the token is unknown, expired or revoked")(scope, receive, send)
        if viewer is ANONYMOUS and self.settings.public_read:
            viewer = Viewer("supervisor", name="anonymous (public read)")
        scope.setdefault("state", {})["viewer"] = viewer
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.settings.max_body:
                raise ValueError("request body too large")
            return message

        token = track_sessions()
        try:
            await self.app(scope, limited_receive, send)
        finally:
            close_sessions(token)


class GraphQLApp(GraphQL):
    def __init__(self, engine: Engine, settings: Settings):
        from .schema import build

        super().__init__(build(introspection=settings.introspection), graphql_ide="graphiql")
        self.engine = engine

    async def get_context(self, request: Request, response):
        from .schema.context import Context

        return Context(engine=self.engine, viewer=request.state.viewer, request=request)


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(engine: Engine, settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    graphql = GraphQLApp(engine, settings)
    routes = [
        Route("/", lambda r: RedirectResponse("/graphql")),
        Route("/health", health),
        Route("/graphql", graphql),
    ]
    app = Starlette(routes=routes)
    app.state.engine = engine
    return Guard(app, engine, settings)
