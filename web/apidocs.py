"""The API's documentation page at /schema, rendered here from the OpenAPI document.

Litestar's default pages (Redoc, Swagger UI, …) load their scripts from a public CDN without an
integrity check, and the bundles themselves inject inline styles that the Content-Security-Policy
forbids. Vendoring one would put a megabyte of third-party code to keep patched beside the app
for a handful of endpoints. So /schema is a plain page listing the operations, and
/schema/openapi.json is the document itself, which clients and tools (schemathesis, code
generators) read.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin

METHODS = ("get", "post", "put", "patch", "delete")


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if op := item.get(method):
                found.append({
                    "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [(p["name"], p["in"], p.get("required", False)) for p in op.get("parameters", [])],
                    "body": list(op.get("requestBody", {}).get("content", {})),
                    "responses": list(op.get("responses", {})),
                })
    return sorted(found, key=lambda op: (op["path"], op["method"]))


class PlainDocsPlugin(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        template = request.app.template_engine.get_template("api_docs.html")  # pyright: ignore[reportOptionalMemberAccess]
        return template.render(info=openapi_schema.get("info", {}), operations=operations(openapi_schema),
                               json_url=self.get_openapi_json_route(request)).encode()


RENDER_PLUGINS = [PlainDocsPlugin(), JsonRenderPlugin()]
