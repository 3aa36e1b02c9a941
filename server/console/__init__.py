"""The supervisors' console: page shells served by countypay itself, whose scripts read every figure
through `/graphql` as any client does (one code path, so a page can never show what the API would
not), GraphiQL, sign-in, and the static files, all from inside the package: nothing is fetched
from another host.

A page is an entry of `pages.PAGES` and a script in `static/console/`; a chart for a kind of
component is one more file in `static/console/charts/`, which every page with charts loads.
"""
from .pages import graphiql_page, routes

__all__ = ["graphiql_page", "routes"]
