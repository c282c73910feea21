"""`gongkai web`: the web app under uvicorn."""

from __future__ import annotations

import uvicorn

from gongkai.logs import configure_logging
from gongkai.settings import get_settings


def serve() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    from web.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                proxy_headers=False, access_log=False)


if __name__ == "__main__":
    serve()
