"""The operator page at /ui: server-rendered HTML and one small script that polls the
JSON API.  Nothing is built and nothing comes from another site: it works offline."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from dispatcher.api.ui import actions, compose, pages
from dispatcher.api.ui.web import STATIC, PageError, SignInFirst, render, signed_in


def install(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(compose.router)  # first: /ui/campaigns/new before /ui/campaigns/{id}
    app.include_router(pages.router)
    app.include_router(actions.router)

    @app.exception_handler(SignInFirst)
    async def _sign_in(_: Request, __: SignInFirst) -> Response:
        return RedirectResponse("/ui/sign-in", status_code=303)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        who = await signed_in(request)  # the page keeps its menu when signed in
        return render(request, "error.html", who, status_code=exc.status, message=exc.message)
