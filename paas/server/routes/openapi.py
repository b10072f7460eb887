"""/v1/openapi.json: the API described as OpenAPI 3.0, the contract the fuzz tests hold.

Kept as data next to the routes it describes; a unit test checks the two agree.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from paas import __version__
from paas.server.context import ApiContext, Route, json_response

Schema = dict[str, Any]

_STR: Schema = {"type": "string"}
_ERROR: Schema = {"$ref": "#/components/schemas/Error"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema, description: str = "OK") -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Schema]:
    text = {400: "Invalid input", 401: "Missing or invalid token", 403: "Not allowed",
            404: "Not found", 409: "Conflict (taken, or another deploy in progress)",
            422: "The rollout failed; the previous release keeps serving",
            503: "The container engine or cluster is unavailable"}
    return {str(c): _json(_ERROR, text[c]) for c in (401, *codes)}


def _op(summary: str, ok: Schema, *errors: int, status: int = 200,
        body: Schema | None = None, params: list[Schema] | None = None) -> Schema:
    op: Schema = {"summary": summary, "responses": {str(status): ok, **_errors(*errors)}}
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _path(name: str, example: str | None = None) -> Schema:
    param: Schema = {"name": name, "in": "path", "required": True, "schema": _STR}
    if example is not None:
        param["example"] = example
    return param


def _query(name: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": _STR}


def _obj(props: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    out: Schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


_APP = [_path("name", "shop")]
_RELEASED = _json(_obj({"release": _ref("Release"), "log": {"type": "array", "items": _STR}},
                       ("release", "log")))
_ACCESS = _json(_obj({"owner": _STR, "users": {"type": "array", "items": _STR}}))
_DOMAINS = {"type": "array", "items": _STR}
_LIMITS = _obj({
    "max_replicas": {"type": "integer"}, "max_total": {"type": "integer"},
    "raised": _obj({"max_replicas": {"type": "integer", "nullable": True},
                    "max_total": {"type": "integer", "nullable": True}}),
    "writable_root": {"type": "boolean"},
    "sizes": {"type": "object", "additionalProperties": _STR}})
_NULLABLE_STR: Schema = {"type": "string", "nullable": True}
_SCHEDULE: Schema = {"type": "object", "nullable": True, "properties": {
    "kind": _STR, "at": _STR, "keep": {"type": "integer"}}}

COMPONENTS: Schema = {
    "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
    "schemas": {
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": _STR, "log": _STR}},
        "App": {"type": "object", "required": ["name", "owner", "url", "domains"],
                "properties": {
                    "name": _STR, "owner": _STR, "created_at": _STR,
                    "release": {"type": "string", "nullable": True}, "url": _STR,
                    "domains": _DOMAINS,
                    "formation": {"type": "object",
                                  "additionalProperties": {"type": "integer"}},
                    "git_url": _STR}},
        "Release": {"type": "object",
                    "required": ["version", "label", "description", "status"],
                    "properties": {
                        "version": {"type": "integer", "minimum": 1}, "label": _STR,
                        "description": _STR, "created_by": _STR,
                        "created_at": {"type": "string", "nullable": True},
                        "status": {"type": "string",
                                   "enum": ["pending", "succeeded", "failed"]},
                        "commit": {"type": "string", "nullable": True},
                        "image": {"type": "string", "nullable": True}}},
        "Backup": _obj({"id": _STR, "kind": _STR, "created_at": _STR,
                        "size": {"type": "integer", "nullable": True},
                        "duration": {"type": "number"},
                        "state": {"type": "string",
                                  "enum": ["completed", "running", "failed"]},
                        "origin": {"type": "string", "enum": ["manual", "scheduled"]}},
                       ("id", "kind", "created_at", "size", "duration", "state", "origin")),
        "User": _obj({"name": _STR, "admin": {"type": "boolean"}}, ("name", "admin")),
        "Certs": {"type": "object", "required": ["app", "certificate", "auto"],
                  "properties": {
                      "app": _STR,
                      "certificate": {"type": "object", "nullable": True, "properties": {
                          "hosts": {"type": "array", "items": _STR}, "issuer": _STR,
                          "not_before": _STR, "not_after": _STR,
                          "days_left": {"type": "integer"}, "source": _STR,
                          "fingerprint": _STR, "ocsp_stapling": {"type": "boolean"}}},
                      "auto": {"type": "boolean"}, "redirect": {"type": "boolean"},
                      "hsts": {"type": "boolean"},
                      "last_error": {"type": "string", "nullable": True},
                      "last_attempt_at": {"type": "string", "nullable": True},
                      "https_port": {"type": "integer", "nullable": True}}},
        "Token": {"type": "object", "required": ["id", "user", "label", "revoked"],
                  "properties": {"id": _STR, "user": _STR, "label": _STR,
                                 "created_at": _STR, "revoked": {"type": "boolean"},
                                 "token": _STR}},
    },
}

PATHS: Schema = {
    "/v1/health": {"get": {**_op("Liveness and version", _json({"type": "object"})),
                           "security": [], "responses": {"200": _json({"type": "object"})}}},
    "/v1/whoami": {"get": _op("The caller", _json(_ref("User")))},
    "/v1/apps": {
        "get": _op("Apps the caller may access", _json({"type": "array",
                                                        "items": _ref("App")})),
        "post": _op("Create an app", _json(_ref("App"), "Created"), 400, 409, status=201,
                    body=_obj({"name": _STR}, ("name",))),
    },
    "/v1/apps/{name}": {
        "get": _op("One app", _json(_ref("App")), 403, 404, params=_APP),
        "delete": _op("Destroy an app: replicas, routes, images, repo, releases, config",
                      _json(_obj({"destroyed": _STR})), 400, 403, 404, 409, 503,
                      params=[*_APP, _query("confirm")]),
    },
    "/v1/apps/{name}/config": {
        "get": _op("Config vars", _json({"type": "object", "additionalProperties": _STR}),
                   403, 404, params=_APP),
        "patch": _op(
            "Set or unset config vars: a new release and a rolling restart", _RELEASED,
            400, 403, 404, 409, 422, 503, params=_APP,
            body=_obj({"set": {"type": "object", "additionalProperties": _STR,
                               "minProperties": 1},
                       "unset": {"type": "array", "items": _STR, "minItems": 1}})),
    },
    "/v1/apps/{name}/config/{key}": {
        "get": _op("One config var", _json(_obj({"key": _STR, "value": _STR})), 400, 403, 404,
                   params=[*_APP, _path("key", "DATABASE_URL")]),
    },
    "/v1/apps/{name}/releases": {
        "get": _op("Releases, newest first", _json({"type": "array",
                                                    "items": _ref("Release")}),
                   403, 404, params=_APP),
    },
    "/v1/apps/{name}/rollback": {
        "post": _op("A new release with the image and config of an earlier one", _RELEASED,
                    400, 403, 404, 409, 422, 503, params=_APP,
                    body=_obj({"version": {"type": "integer", "minimum": 1,
                                           "nullable": True}})),
    },
    "/v1/apps/{name}/domains": {
        "get": _op("Hosts the app answers for", _json(_obj({"default": _STR,
                                                            "domains": _DOMAINS})),
                   403, 404, params=_APP),
        "post": _op("Add a custom domain", _json(_obj({"domains": _DOMAINS}), "Added"),
                    400, 403, 404, 409, 422, 503, status=201, params=_APP,
                    body=_obj({"host": _STR}, ("host",))),
    },
    "/v1/apps/{name}/domains/{host}": {
        "delete": _op("Remove a custom domain", _json(_obj({"domains": _DOMAINS})),
                      400, 403, 404, 409, 422, 503,
                      params=[*_APP, _path("host", "www.example.com")]),
    },
    "/v1/apps/{name}/access": {
        "get": _op("The owner and the users granted access", _ACCESS, 403, 404, params=_APP),
        "post": _op("Grant a user access (owner or admin)", _ACCESS, 400, 403, 404, 409,
                    status=201, params=_APP, body=_obj({"user": _STR}, ("user",))),
    },
    "/v1/apps/{name}/access/{user}": {
        "delete": _op("Remove a user's access (owner or admin)", _ACCESS, 400, 403, 404,
                      params=[*_APP, _path("user", "bob")]),
    },
    "/v1/apps/{name}/transfer": {
        "post": _op("Give the app to another user (owner or admin), confirming its name",
                    _ACCESS, 400, 403, 404, params=_APP,
                    body=_obj({"to": _STR, "confirm": _STR}, ("to", "confirm"))),
    },
    "/v1/users": {
        "get": _op("Users (admin)", _json({"type": "array", "items": _ref("User")}), 403),
        "post": _op("Add a user (admin)", _json(_ref("User"), "Created"), 400, 403, 409,
                    status=201, body=_obj({"name": _STR, "admin": {"type": "boolean"}},
                                          ("name",))),
    },
    "/v1/tokens": {
        "get": _op("Tokens without their secrets (own; all for the admin)",
                   _json({"type": "array", "items": _ref("Token")}), 400, 403, 404,
                   params=[_query("user")]),
        "post": _op("Create a token; the secret is in this answer only",
                    _json(_ref("Token"), "Created"), 400, 403, 404, status=201,
                    body=_obj({"user": _STR, "label": _STR})),
    },
    "/v1/tokens/{token_id}": {
        "delete": _op("Revoke a token", _json(_ref("Token")), 404,
                      params=[_path("token_id")]),
    },
    "/v1/apps/{name}/logs": {
        "get": _op("Build, release-phase and replica log lines, oldest first; with follow=1 "
                   "a text stream that stays open (empty lines are keep-alives)",
                   {"description": "OK", "content": {"text/plain": {"schema": _STR}}},
                   400, 403, 404, 503,
                   params=[*_APP, {"name": "lines", "in": "query", "required": False,
                                   "schema": {"type": "integer", "minimum": 1}},
                           _query("process"),
                           {"name": "follow", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["0", "1"]}}]),
    },
    "/v1/apps/{name}/run": {
        "post": _op("Start a one-off command; the connection switches to the paas-run frame "
                    "protocol (Upgrade: paas-run) and ends with the command's exit code",
                    {"description": "Switching to paas-run frames"}, 400, 403, 404, 503,
                    status=101, params=_APP,
                    body=_obj({"command": {"type": "array", "items": _STR, "minItems": 1},
                               "tty": {"type": "boolean"},
                               "rows": {"type": "integer", "minimum": 1},
                               "cols": {"type": "integer", "minimum": 1}},
                              ("command",))),
    },
    "/v1/apps/{name}/ps": {
        "get": _op("Every replica: type, state, release, uptime (and the exit code and "
                   "last log line of one that exited); formation and queues",
                   _json({"type": "object"}), 403, 404, 503, params=_APP),
    },
    "/v1/apps/{name}/scale": {
        "post": _op("Scale process types: web=3, worker+1, web-1 (all or nothing)",
                    _json(_obj({"formation": {"type": "object",
                                              "additionalProperties": {"type": "integer"}}})),
                    400, 403, 404, 409, 422, 503, params=_APP,
                    body=_obj({"changes": {"type": "array", "items": _STR, "minItems": 1}},
                              ("changes",))),
    },
    "/v1/apps/{name}/ps/restart": {
        "post": _op("Rolling restart of one process type, or of all",
                    _json(_obj({"restarted": {"type": "array", "items": _STR}})),
                    400, 403, 404, 409, 422, 503, params=_APP,
                    body=_obj({"type": {"type": "string", "nullable": True}})),
    },
    "/v1/apps/{name}/ps/resize": {
        "post": _op("Resize process types: web=standard-2x (a rolling restart of each)",
                    _json(_obj({"sizes": {"type": "object", "additionalProperties": _STR}})),
                    400, 403, 404, 409, 422, 503, params=_APP,
                    body=_obj({"sizes": {"type": "array", "items": _STR, "minItems": 1}},
                              ("sizes",))),
    },
    "/v1/apps/{name}/limits": {
        "get": _op("The app's replica bounds, root filesystem and the sizes on offer",
                   _json(_LIMITS), 403, 404, params=_APP),
        "put": _op("Raise (or lower) the app's replica bounds; admin only",
                   _json(_LIMITS), 400, 403, 404, 409, params=_APP,
                   body=_obj({"max_replicas": {"type": "integer", "minimum": 1,
                                               "maximum": 1000, "nullable": True},
                              "max_total": {"type": "integer", "minimum": 1,
                                            "maximum": 1000, "nullable": True},
                              "writable_root": {"type": "boolean"}})),
    },
    "/v1/apps/{name}/autoscale": {
        "get": _op("Autoscaling policies and the last decisions with their reasons",
                   _json({"type": "object"}), 403, 404, params=_APP),
    },
    "/v1/apps/{name}/autoscale/{ptype}": {
        "put": _op("Set the autoscaling policy of a process type (CPU or queue length)",
                   _json({"type": "object"}), 400, 403, 404, 409, 503,
                   params=[*_APP, _path("ptype", "web")],
                   body={"type": "object",
                         "properties": {"min": {"type": "integer"},
                                        "max": {"type": "integer"},
                                        "cpu": {"type": "integer"},
                                        "queue": _STR,
                                        "per_replica": {"type": "integer"}},
                         "required": ["min", "max"]}),
        "delete": _op("Remove a process type's autoscaling policy",
                      _json(_obj({"removed": _STR})), 400, 403, 404, 503,
                      params=[*_APP, _path("ptype", "web")]),
    },
    "/v1/apps/{name}/addons": {
        "get": _op("The app's add-ons", _json({"type": "array", "items": {"type": "object"}}),
                   400, 403, 404, params=_APP),
        "post": _op("Provision an add-on (redis) and set its config vars in a new release",
                    _json({"type": "object"}, "Created"), 400, 403, 404, 409, 422, 503,
                    status=201, params=_APP, body=_obj({"kind": _STR}, ("kind",))),
    },
    "/v1/apps/{name}/addons/{kind}": {
        "delete": _op("Destroy an add-on and its data; backup=1 captures a final backup first",
                      _json(_obj({"removed": _STR, "backup": _NULLABLE_STR})),
                      400, 403, 404, 409, 422, 503,
                      params=[*_APP, _path("kind", "postgres"), _query("backup")]),
    },
    "/v1/apps/{name}/backups": {
        "get": _op("Add-on backups of the app, oldest first, and the daily schedule",
                   _json(_obj({"backups": {"type": "array", "items": _ref("Backup")},
                               "schedule": _SCHEDULE})), 403, 404, params=_APP),
    },
    "/v1/apps/{name}/backups/{backup_id}": {
        "get": _op("Download a backup (the kind's dump format, e.g. pg_dump custom)",
                   {"description": "The backup's bytes", "content": {
                       "application/octet-stream": {"schema": {"type": "string",
                                                               "format": "binary"}}}},
                   400, 403, 404, params=[*_APP, _path("backup_id", "b001")]),
    },
    "/v1/apps/{name}/addons/{kind}/backups": {
        "post": _op("Capture a backup while the app keeps serving", _json(_ref("Backup"),
                    "Created"), 400, 403, 404, 409, 422, 503, status=201,
                    params=[*_APP, _path("kind", "postgres")]),
    },
    "/v1/apps/{name}/addons/{kind}/restore": {
        "post": _op("Restore a backup (the latest by default); atomic: it completes or "
                    "leaves the data as it was",
                    _json(_obj({"restored": _ref("Backup")})), 400, 403, 404, 409, 422, 503,
                    params=[*_APP, _path("kind", "postgres")],
                    body=_obj({"confirm": _STR, "backup": _NULLABLE_STR}, ("confirm",))),
    },
    "/v1/apps/{name}/addons/{kind}/schedule": {
        "put": _op("Capture daily at HH:MM (UTC), keeping the newest N scheduled backups",
                   _json(_SCHEDULE), 400, 403, 404, 503,
                   params=[*_APP, _path("kind", "postgres")],
                   body=_obj({"at": _STR, "keep": {"type": "integer", "minimum": 1}},
                             ("at",))),
        "delete": _op("Stop the daily backups (the backups stay)",
                      _json(_obj({"removed": _STR})), 400, 403, 404,
                      params=[*_APP, _path("kind", "postgres")]),
    },
    "/v1/apps/{name}/addons/{kind}/info": {
        "get": _op("What the add-on reports (version, size, connections), its latest "
                   "backup and schedule", _json({"type": "object"}), 400, 403, 404, 422, 503,
                   params=[*_APP, _path("kind", "postgres")]),
    },
    "/v1/apps/{name}/addons/{kind}/console": {
        "post": _op("The add-on's client (psql) inside it; the connection switches to the "
                    "paas-run frame protocol (Upgrade: paas-run) like /run",
                    {"description": "Switching to paas-run frames"}, 400, 403, 404, 503,
                    status=101, params=[*_APP, _path("kind", "postgres")],
                    body=_obj({"command": _NULLABLE_STR, "tty": {"type": "boolean"},
                               "rows": {"type": "integer", "minimum": 1},
                               "cols": {"type": "integer", "minimum": 1}})),
    },
    "/v1/apps/{name}/certs": {
        "get": _op("The app's certificate (never its key), HTTPS switches, last ACME error",
                   _json(_ref("Certs")), 400, 403, 404, params=_APP),
        "post": _op("Upload a certificate chain and its key (checked: key, chain, domains, "
                    "validity); the router reloads without dropping a request",
                    _json(_ref("Certs"), "Added"), 400, 403, 404, 409, 422, 503,
                    status=201, params=_APP,
                    body=_obj({"certificate": _STR, "key": _STR}, ("certificate", "key"))),
        "delete": _op("Remove the certificate; the app's hosts serve plain HTTP again",
                      _json(_ref("Certs")), 400, 403, 404, 409, 422, 503, params=_APP),
        "patch": _op("Switch automatic (ACME) certificates, the HTTP to HTTPS redirect, HSTS",
                     _json(_ref("Certs")), 400, 403, 404, 409, 422, 503, params=_APP,
                     body=_obj({"auto": {"type": "boolean"}, "redirect": {"type": "boolean"},
                                "hsts": {"type": "boolean"}})),
    },
    "/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                 "responses": {"200": _json({"type": "object"})}}},
}


def document() -> Schema:
    return {
        "openapi": "3.0.3",
        "info": {"title": "paas platform API", "version": __version__},
        "security": [{"token": []}],
        "paths": PATHS,
        "components": COMPONENTS,
    }


def openapi(ctx: ApiContext, request: Request) -> Response:
    return json_response(document())


ROUTES = [Route("/v1/openapi.json", ("GET",), openapi)]
