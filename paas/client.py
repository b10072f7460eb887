"""The HTTP client of the platform API: the CLI's only way in."""

from __future__ import annotations

from typing import Any

import requests

from paas.credentials import Credentials
from paas.errors import PaasError


class Client:
    def __init__(self, creds: Credentials, timeout: float = 30.0) -> None:
        self.url = creds.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {creds.token}"
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None,
                timeout: float | None = None) -> Any:
        try:
            resp = self.session.request(
                method, f"{self.url}{path}", json=body, timeout=timeout or self.timeout
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
            raise PaasError(message or f"server answered {resp.status_code} {resp.reason}")
        return data

    def whoami(self) -> dict[str, Any]:
        return dict(self.request("GET", "/v1/whoami"))

    def apps(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/v1/apps"))

    def create_app(self, name: str) -> dict[str, Any]:
        return dict(self.request("POST", "/v1/apps", {"name": name}))

    def app(self, name: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/apps/{name}"))

    # formation, add-ons, autoscaling (issue 4). Scaling waits for new web replicas to
    # pass their health check and old ones to drain, hence the long timeouts.
    SCALE_TIMEOUT = 600.0

    def ps(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/apps/{app}/ps"))

    def scale(self, app: str, changes: list[str]) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/apps/{app}/scale", {"changes": changes},
                                 timeout=self.SCALE_TIMEOUT))

    def restart(self, app: str, process_type: str | None) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/apps/{app}/ps/restart", {"type": process_type},
                                 timeout=self.SCALE_TIMEOUT))

    def addons(self, app: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/v1/apps/{app}/addons"))

    def create_addon(self, app: str, kind: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/apps/{app}/addons", {"kind": kind},
                                 timeout=self.SCALE_TIMEOUT))

    def destroy_addon(self, app: str, kind: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/apps/{app}/addons/{kind}",
                                 timeout=self.SCALE_TIMEOUT))

    def autoscale(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/apps/{app}/autoscale"))

    def set_autoscale(self, app: str, process_type: str, policy: dict[str, Any]
                      ) -> dict[str, Any]:
        return dict(self.request("PUT", f"/v1/apps/{app}/autoscale/{process_type}", policy))

    def unset_autoscale(self, app: str, process_type: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/apps/{app}/autoscale/{process_type}"))
