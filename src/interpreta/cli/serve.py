"""``interpreta serve``: run the platform."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from interpreta import demo
from interpreta.app import create_app
from interpreta.cli.common import DataDirOption, console, fail, load_settings, start_platform
from interpreta.config import is_loopback
from interpreta.node_lock import NodeLockHeld, hold_node_lock


def transport_problem(host: str, tls: bool, behind_proxy: bool) -> str | None:
    """Why serving on `host` this way is refused, if it is (P21): plain HTTP beyond
    loopback, unless a TLS-terminating proxy is in front (``INTERPRETA_TLS_PROXY``).

    Cookies stay Secure either way: browsers accept them on http://localhost only.
    """
    if tls or behind_proxy or is_loopback(host):
        return None
    return (
        f"refusing to serve plain HTTP on {host}: sessions and media signaling would travel "
        "in clear (promise P21). Pass --cert and --key, or run behind a TLS-terminating "
        "proxy and set INTERPRETA_TLS_PROXY=true."
    )


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDirOption = None,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Create the demo organisation, logins and event.")
    ] = False,
    certfile: Annotated[Path | None, typer.Option("--cert", help="TLS certificate (PEM).")] = None,
    keyfile: Annotated[Path | None, typer.Option("--key", help="TLS private key (PEM).")] = None,
) -> None:
    """Run the platform: migrate the database, publish the notice, serve HTTP."""
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = load_settings(data_dir, **overrides)
    tls = certfile is not None and keyfile is not None
    problem = transport_problem(settings.host, tls, settings.tls_proxy)
    if problem:
        fail(problem)
    problem = settings.several_nodes_problem()
    if problem:
        fail(f"refusing to start: {problem}")
    if not settings.several_nodes:
        try:
            node_lock = hold_node_lock(settings.data_dir)
        except NodeLockHeld as exc:
            fail(str(exc))
    platform = start_platform(ctx, settings)
    scheme = "https" if tls or settings.tls_proxy else "http"
    url = settings.public_url or f"{scheme}://{settings.host}:{settings.port}"
    console.print(f"Interpreta is running at [bold]{url}[/]  (API docs: {url}/docs)")
    console.print(f"data directory: {settings.data_dir.resolve()}")
    if with_demo or settings.demo:
        info = demo.seed(platform)
        console.print(
            f"demo event code: [bold]{info.event_code}[/]  → {url}/join/{info.event_code}"
        )
        for email, password, role in info.logins:
            console.print(f"  login {email} / {password}  ({role})")
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(
        create_app(platform),
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(certfile) if tls else None,
        ssl_keyfile=str(keyfile) if tls else None,
        log_level="info",
        proxy_headers=settings.tls_proxy,
        forwarded_allow_ips=settings.forwarded_allow_ips if settings.tls_proxy else None,
        access_log=False,  # it would log every visitor's IP address, which no activity declares
    )
    if not settings.several_nodes:
        node_lock.close()
