"""What the routes ask FastAPI for: the service's context and the request's checked token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.auth import Token, authenticate
from service.context import Context

# Declares the scheme in the OpenAPI document; the header itself is checked by ``authenticate``.
_bearer = HTTPBearer(auto_error=False, description="a token from `python -m service token create`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(context)]


def upload_token(request: Request, ctx: Ctx, _: Credentials) -> Token:
    token = authenticate(ctx.store, request.headers.get("authorization"))
    token.require("upload")
    return token


def read_token(request: Request, ctx: Ctx, _: Credentials) -> Token:
    token = authenticate(ctx.store, request.headers.get("authorization"))
    token.require("read")
    return token


UploadToken = Annotated[Token, Depends(upload_token)]
ReadToken = Annotated[Token, Depends(read_token)]
