"""GET /openapi.json: an OpenAPI 3.1 description built from the registered routes and their Pydantic models."""
from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel

from .http import HTML, ROUTES, RouteSpec, json_response, route
from .schemas import ErrorResponse

docs_routes = Blueprint(__name__)
_COMPONENT_REF = "#/components/schemas/{model}"
_REASONS = {200: "OK", 202: "Accepted", 400: "Invalid input", 401: "Missing or invalid bearer token",
            403: "Role not allowed", 404: "Not found", 409: "Not allowed in the current state", 415: "Unsupported media type"}


class OpenApiDocument(BaseModel):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


@route(docs_routes, "/openapi.json", "GET", summary="This API description", tag="meta", responses={200: OpenApiDocument})
def openapi_document(request: Any):
    return json_response(build_spec())


def build_spec() -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    components_block: dict[str, Any] = {"schemas": components}
    if any(spec.role for spec in ROUTES):
        components_block["securitySchemes"] = {"staffBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Complaint management API", "version": "1.0.0",
                 "description": "Customers submit and follow complaints; staff handle them. Staff routes need a bearer JWT."},
        "paths": paths,
        "components": components_block,
    }


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str = "serialization") -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_COMPONENT_REF, mode=mode)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": _COMPONENT_REF.format(model=model.__name__)}


PATH_TOKEN_MAX = 512  # a signed survey token is about 160 characters


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": spec.summary, "tags": [spec.tag], "operationId": _operation_id(spec)}
    rules = [model.__doc__ for model in (spec.query, spec.body) if model is not None and "Beyond this schema" in
             (model.__doc__ or "")]
    if rules:
        operation["description"] = " ".join(" ".join(rule.split()) for rule in rules)
    parameters = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "maxLength": PATH_TOKEN_MAX if name == "token" else 64}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query is not None:
        for name, prop in spec.query.model_json_schema(mode="validation").get("properties", {}).items():
            required = name in spec.query.model_json_schema(mode="validation").get("required", [])
            parameters.append({"name": name, "in": "query", "required": required, "schema": prop})
    if parameters:
        operation["parameters"] = parameters
    if spec.body is not None:
        ref = _schema(spec.body, components, mode="validation")
        operation["requestBody"] = {"required": True, "content": {ct: {"schema": ref} for ct in spec.content_types}}
    responses: dict[str, Any] = {}
    codes = dict(spec.responses)
    for code in spec.error_codes:
        codes.setdefault(code, ErrorResponse)
    if spec.body is not None:
        codes.setdefault(415, None)
    for code, model in sorted(codes.items()):
        content: dict[str, Any] = {}
        if model is not None:
            content["application/json"] = {"schema": _schema(model, components)}
        if model is None and code < 300:
            content[spec.text_media] = {"schema": {"type": "string"}}
        elif spec.html:
            content[HTML] = {"schema": {"type": "string"}}
        responses[str(code)] = {"description": _REASONS.get(code, "Response"), **({"content": content} if content else {})}
    operation["responses"] = responses
    if spec.role:
        operation["security"] = [{"staffBearer": []}]
    return operation


def _operation_id(spec: RouteSpec) -> str:
    words = re.sub(r"[{}]", "", spec.path).strip("/").replace("/", "_") or "root"
    return f"{spec.method.lower()}_{words}"



