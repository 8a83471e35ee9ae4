"""The local HTTP API: chalice local's own server, plus what API Gateway does for methods the API does not
declare (405, not http.server's 501). Used by the local stack and by the fuzz tests."""
from __future__ import annotations

import json
import pathlib
import re

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer, RouteMatcher

PROJECT_DIR = pathlib.Path(__file__).resolve().parents[1]


class GatewayLikeHandler(ChaliceRequestHandler):
    def __init__(self, request, client_address, server, app_object, config):
        self._routes = app_object.routes  # set first: the base class handles the request inside __init__
        self._matcher = RouteMatcher(list(app_object.routes))
        super().__init__(request, client_address, server, app_object=app_object, config=config)

    def _generic_handle(self) -> None:
        """An unknown path gets a JSON 404, as the catch-all route does in AWS (not chalice local's 403)."""
        try:
            self._matcher.match_route(self.path)
        except ValueError:
            self._json_error(404, "not_found", f"no route for {self.path.split('?', 1)[0][:200]}")
            return
        super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        """The access log, with every token-like query parameter masked (a token in a URL never reaches a log)."""
        super().log_message(format, *(mask_secrets(a) if isinstance(a, str) else a for a in args))

    def _json_error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))  # keep the connection in sync
        body = json.dumps({"error": code, "message": message}).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _method_not_allowed(self) -> None:
        try:
            allowed = sorted(self._routes[self._matcher.match_route(self.path).route])
        except ValueError:
            allowed = []
        if not allowed:
            self._json_error(404, "not_found", f"no route for {self.path.split('?', 1)[0][:200]}")
            return
        self._json_error(405, "method_not_allowed", f"{self.command} is not supported", {"Allow": ", ".join(allowed)})

    do_TRACE = do_CONNECT = do_QUERY = _method_not_allowed


_SECRET_PARAM = re.compile(r"(?i)([?&](?:[\w-]*token|code|signature|sig|key|secret|password|session)=)[^&\s\"]*")


def mask_secrets(text: str) -> str:
    """A request line with the values of token-like query parameters replaced by ***."""
    return _SECRET_PARAM.sub(r"\1***", text)


def stage_config(stage: str = "local") -> Config:
    with open(PROJECT_DIR / ".chalice" / "config.json", encoding="utf-8") as handle:
        from_disk = json.load(handle)
    return Config.create(chalice_stage=stage, project_dir=str(PROJECT_DIR), config_from_disk=from_disk)


def create_server(app_object, host: str = "127.0.0.1", port: int = 8000, stage: str = "local") -> LocalDevServer:
    """Like chalice's create_local_server, with the gateway-like handler. Port 0 picks a free port."""
    if not isinstance(app_object, CustomLocalChalice):  # once per app object (a second server reuses it)
        CustomLocalChalice.__bases__ = (LocalChalice, app_object.__class__)
        app_object.__class__ = CustomLocalChalice
    return LocalDevServer(app_object, stage_config(stage), host, port, handler_cls=GatewayLikeHandler)


def main(argv: list[str] | None = None) -> None:
    """`python -m infra.local_api --port 8000`: what `chalice local` does, with the gateway-like handler."""
    import argparse
    import os
    import signal
    import sys

    parser = argparse.ArgumentParser(description="Serve the Chalice app locally (127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--endpoints-file", help="the local stack's: removed if it dies without removing it")
    args = parser.parse_args(argv)
    config = stage_config(args.stage)
    os.environ.update(config.environment_variables)  # as chalice local does: the stage's values win
    sys.path.insert(0, str(PROJECT_DIR))
    import app

    server = create_server(app.app, "127.0.0.1", args.port, args.stage)

    def stop(*_):  # SIGTERM comes from the kernel when the local stack died (it stops us with SIGINT)
        if args.endpoints_file:
            pathlib.Path(args.endpoints_file).unlink(missing_ok=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
