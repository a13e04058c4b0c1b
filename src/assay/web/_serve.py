"""Start the web application with uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["serve"]

_ENV = "ASSAY_WEB_WORKSPACE"


def _factory() -> object:
    # uvicorn imports this in each worker process (factory=True), so workers share nothing.
    from assay.web._app import create_app

    return create_app(os.environ[_ENV])


def serve(
    workspace: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    proxy_headers: bool = False,
) -> None:
    """Serve the web application on a workspace until interrupted.

    Parameters
    ----------
    workspace
        A folder inside the Assay workspace.
    host, port
        Where to listen; loopback by default.
    workers
        Worker processes.
    proxy_headers
        Trust ``X-Forwarded-Proto``/``-For`` from the proxy in front (for Secure cookies behind
        a TLS-terminating proxy).
    """
    import uvicorn

    os.environ[_ENV] = str(Path(workspace).resolve())
    uvicorn.run(
        "assay.web._serve:_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
        log_level="info",
    )
