"""The HTTP client of the platform API: the CLI's only way in."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from paas.credentials import Credentials
from paas.errors import DeployFailed, PaasError


class Client:
    def __init__(self, creds: Credentials, timeout: float = 30.0) -> None:
        self.url = creds.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {creds.token}"
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None,
                params: dict[str, str] | None = None, timeout: float | None = None) -> Any:
        try:
            resp = self.session.request(
                method, f"{self.url}{path}", json=body, params=params,
                timeout=timeout or self.timeout,
            )
        except requests.ConnectionError as e:
            raise PaasError(
                f"cannot reach the paas server at {self.url}: is `paas server` running?"
            ) from e
        except requests.RequestException as e:
            raise PaasError(f"request to {self.url} failed: {e}") from e
        try:
            data = resp.json() if resp.content else None
        except ValueError:
            data = None
        if resp.status_code >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            message = message or f"server answered {resp.status_code} {resp.reason}"
            if isinstance(data, dict) and data.get("log"):
                raise DeployFailed(message, str(data["log"]))
            raise PaasError(message)
        return data

    def whoami(self) -> dict[str, Any]:
        return dict(self.request("GET", "/v1/whoami"))

    def apps(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/v1/apps"))

    def create_app(self, name: str) -> dict[str, Any]:
        return dict(self.request("POST", "/v1/apps", {"name": name}))

    def app(self, name: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/apps/{name}"))

    # -- issue 6: config, releases, domains, destroy, users, tokens, access ---------------
    #: Calls that roll out a release wait for health checks and the router.
    ROLLOUT_TIMEOUT = 600.0

    def config(self, app: str) -> dict[str, str]:
        return dict(self.request("GET", f"/v1/apps/{_seg(app)}/config"))

    def config_get(self, app: str, key: str) -> str:
        return str(self.request("GET", f"/v1/apps/{_seg(app)}/config/{_seg(key)}")["value"])

    def config_set(self, app: str, values: dict[str, str]) -> dict[str, Any]:
        return dict(self.request("PATCH", f"/v1/apps/{_seg(app)}/config", {"set": values},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def config_unset(self, app: str, keys: list[str]) -> dict[str, Any]:
        return dict(self.request("PATCH", f"/v1/apps/{_seg(app)}/config", {"unset": keys},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def releases(self, app: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/v1/apps/{_seg(app)}/releases"))

    def rollback(self, app: str, version: int | None) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/apps/{_seg(app)}/rollback",
                                 {"version": version}, timeout=self.ROLLOUT_TIMEOUT))

    def domains(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/apps/{_seg(app)}/domains"))

    def add_domain(self, app: str, host: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/apps/{_seg(app)}/domains", {"host": host},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def remove_domain(self, app: str, host: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/apps/{_seg(app)}/domains/{_seg(host)}",
                                 timeout=self.ROLLOUT_TIMEOUT))

    def destroy_app(self, app: str, confirm: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/apps/{_seg(app)}", params={"confirm": confirm},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def users(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/v1/users"))

    def add_user(self, name: str, admin: bool) -> dict[str, Any]:
        return dict(self.request("POST", "/v1/users", {"name": name, "admin": admin}))

    def tokens(self, user: str | None = None) -> list[dict[str, Any]]:
        return list(self.request("GET", "/v1/tokens", params={"user": user} if user else None))

    def create_token(self, user: str | None, label: str | None) -> dict[str, Any]:
        body = {k: v for k, v in (("user", user), ("label", label)) if v is not None}
        return dict(self.request("POST", "/v1/tokens", body))

    def revoke_token(self, token_id: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/tokens/{_seg(token_id)}"))

    def access(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/apps/{_seg(app)}/access"))

    def grant_access(self, app: str, user: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/apps/{_seg(app)}/access", {"user": user}))

    def revoke_access(self, app: str, user: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/apps/{_seg(app)}/access/{_seg(user)}"))


def _seg(value: str) -> str:
    """One path segment, so a '/' or '?' in user input cannot reach another endpoint."""
    return quote(value, safe="")
