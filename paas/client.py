"""The HTTP client of the platform API: the CLI's only way in."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
from collections.abc import Generator
from typing import Any, BinaryIO, NewType
from urllib.parse import quote, urlsplit

import requests
import requests.adapters
import requests.auth

from paas import wire
from paas.credentials import Credentials
from paas.errors import DeployFailed, InvalidInput, PaasError

#: Seconds without a byte (not even a keep-alive) before a followed log stream is lost.
FOLLOW_READ_TIMEOUT = 60.0
#: A capture or restore of a big database takes minutes; the answer comes at the end.
BACKUP_TIMEOUT = 6 * 3600.0

#: A request path whose every segment is escaped; only :func:`api_path` makes one.
ApiPath = NewType("ApiPath", str)


def api_path(*segments: str) -> ApiPath:
    """``/v1/<seg>/<seg>...``, each segment escaped whole, so a '/', '?', '#' or '%' in a
    name stays inside its segment and cannot reach another endpoint.

    '.' and '..' are refused: requests unescapes '%2E', and a proxy in front of the
    server would resolve them to a different path.
    """
    for seg in segments:
        if seg in ("", ".", ".."):
            raise InvalidInput(f"invalid name {seg!r} in a request to the server")
    return ApiPath("/v1/" + "/".join(quote(seg, safe="") for seg in segments))


class BearerToken(requests.auth.AuthBase):
    """The API token on every request.

    Set as the session's ``auth``, so requests never applies a ``~/.netrc`` entry for
    the host over it (it does when no auth is set and ``trust_env`` is on). Proxies and
    CA bundles still come from the environment; git keeps using ~/.netrc for pushes.
    """

    def __init__(self, token: str) -> None:
        self.header = f"Bearer {token}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.header
        return request


class Client:
    """``transport`` replaces the network for the server's URL (tests mount the API
    in-process there, as httpx's ``MockTransport`` does)."""

    def __init__(self, creds: Credentials, timeout: float = 30.0,
                 transport: requests.adapters.BaseAdapter | None = None) -> None:
        self.url = creds.url
        self.session = requests.Session()
        self.session.auth = BearerToken(creds.token)
        if transport is not None:
            self.session.mount(f"{self.url}/", transport)
        self.auth = f"Bearer {creds.token}"
        self.timeout = timeout

    def _unreachable(self) -> PaasError:
        return PaasError(
            f"cannot reach the paas server at {self.url}: is `paas server` running?")

    def request(self, method: str, path: ApiPath, body: Any = None,
                params: dict[str, str] | None = None, timeout: float | None = None) -> Any:
        try:
            resp = self.session.request(
                method, f"{self.url}{path}", json=body, params=params,
                timeout=timeout or self.timeout,
            )
        except requests.ConnectionError as e:
            raise self._unreachable() from e
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

    # users, tokens, apps ----------------------------------------------------------------
    def whoami(self) -> dict[str, Any]:
        return dict(self.request("GET", api_path("whoami")))

    def users(self) -> list[dict[str, Any]]:
        return list(self.request("GET", api_path("users")))

    def add_user(self, name: str, admin: bool) -> dict[str, Any]:
        return dict(self.request("POST", api_path("users"), {"name": name, "admin": admin}))

    def tokens(self, user: str | None = None) -> list[dict[str, Any]]:
        return list(self.request("GET", api_path("tokens"),
                                 params={"user": user} if user else None))

    def create_token(self, user: str | None, label: str | None) -> dict[str, Any]:
        body = {k: v for k, v in (("user", user), ("label", label)) if v is not None}
        return dict(self.request("POST", api_path("tokens"), body))

    def revoke_token(self, token_id: str) -> dict[str, Any]:
        return dict(self.request("DELETE", api_path("tokens", token_id)))

    def apps(self) -> list[dict[str, Any]]:
        return list(self.request("GET", api_path("apps")))

    def create_app(self, name: str) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps"), {"name": name}))

    def app(self, name: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", name)))

    def destroy_app(self, app: str, confirm: str) -> dict[str, Any]:
        return dict(self.request("DELETE", api_path("apps", app), params={"confirm": confirm},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def transfer_app(self, app: str, to: str, confirm: str) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "transfer"),
                                 {"to": to, "confirm": confirm}))

    def access(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", app, "access")))

    def grant_access(self, app: str, user: str) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "access"), {"user": user}))

    def revoke_access(self, app: str, user: str) -> dict[str, Any]:
        return dict(self.request("DELETE", api_path("apps", app, "access", user)))

    # config, releases, domains ----------------------------------------------------------
    #: Calls that roll out a release wait for health checks and the router.
    ROLLOUT_TIMEOUT = 600.0

    def config(self, app: str) -> dict[str, str]:
        return dict(self.request("GET", api_path("apps", app, "config")))

    def config_get(self, app: str, key: str) -> str:
        return str(self.request("GET", api_path("apps", app, "config", key))["value"])

    def config_set(self, app: str, values: dict[str, str]) -> dict[str, Any]:
        return dict(self.request("PATCH", api_path("apps", app, "config"), {"set": values},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def config_unset(self, app: str, keys: list[str]) -> dict[str, Any]:
        return dict(self.request("PATCH", api_path("apps", app, "config"), {"unset": keys},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def releases(self, app: str) -> list[dict[str, Any]]:
        return list(self.request("GET", api_path("apps", app, "releases")))

    def rollback(self, app: str, version: int | None) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "rollback"),
                                 {"version": version}, timeout=self.ROLLOUT_TIMEOUT))

    def domains(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", app, "domains")))

    def add_domain(self, app: str, host: str) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "domains"), {"host": host},
                                 timeout=self.ROLLOUT_TIMEOUT))

    def remove_domain(self, app: str, host: str) -> dict[str, Any]:
        return dict(self.request("DELETE", api_path("apps", app, "domains", host),
                                 timeout=self.ROLLOUT_TIMEOUT))

    # formation, add-ons, autoscaling ----------------------------------------------------
    #: Scaling waits for new web replicas to pass their health check and old ones to drain.
    SCALE_TIMEOUT = 600.0

    def ps(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", app, "ps")))

    def scale(self, app: str, changes: list[str]) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "scale"), {"changes": changes},
                                 timeout=self.SCALE_TIMEOUT))

    def resize(self, app: str, sizes: list[str]) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "ps", "resize"),
                                 {"sizes": sizes}, timeout=self.SCALE_TIMEOUT))

    def limits(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", app, "limits")))

    def set_limits(self, app: str, changes: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", api_path("apps", app, "limits"), changes))

    def restart(self, app: str, process_type: str | None) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "ps", "restart"),
                                 {"type": process_type}, timeout=self.SCALE_TIMEOUT))

    def addons(self, app: str) -> list[dict[str, Any]]:
        return list(self.request("GET", api_path("apps", app, "addons")))

    def create_addon(self, app: str, kind: str) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "addons"), {"kind": kind},
                                 timeout=self.SCALE_TIMEOUT))

    def destroy_addon(self, app: str, kind: str, final_backup: bool = False
                      ) -> dict[str, Any]:
        return dict(self.request("DELETE", api_path("apps", app, "addons", kind),
                                 params={"backup": "1" if final_backup else "0"},
                                 timeout=BACKUP_TIMEOUT if final_backup else self.SCALE_TIMEOUT))

    # add-on data: report, backups, console -------------------------------------------
    def addon_info(self, app: str, kind: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", app, "addons", kind, "info")))

    def backups(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", app, "backups")))

    def capture_backup(self, app: str, kind: str) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "addons", kind, "backups"),
                                 timeout=BACKUP_TIMEOUT))

    def restore_backup(self, app: str, kind: str, backup_id: str | None, confirm: str
                       ) -> dict[str, Any]:
        return dict(self.request("POST", api_path("apps", app, "addons", kind, "restore"),
                                 {"backup": backup_id, "confirm": confirm},
                                 timeout=BACKUP_TIMEOUT))

    def schedule_backups(self, app: str, kind: str, at: str, keep: int) -> dict[str, Any]:
        return dict(self.request("PUT", api_path("apps", app, "addons", kind, "schedule"),
                                 {"at": at, "keep": keep}))

    def unschedule_backups(self, app: str, kind: str) -> dict[str, Any]:
        return dict(self.request("DELETE", api_path("apps", app, "addons", kind, "schedule")))

    def download_backup(self, app: str, backup_id: str, sink: BinaryIO) -> int:
        """Stream a backup into ``sink``; the number of bytes written."""
        try:
            resp = self.session.get(f"{self.url}{api_path('apps', app, 'backups', backup_id)}",
                                    stream=True, timeout=(self.timeout, FOLLOW_READ_TIMEOUT))
        except requests.ConnectionError as e:
            raise self._unreachable() from e
        written = 0
        with resp:
            if resp.status_code >= 400:
                raise PaasError(_error_of(resp.status_code, resp.reason, resp.content))
            try:
                for chunk in resp.iter_content(chunk_size=1024 * 1024):
                    sink.write(chunk)
                    written += len(chunk)
            except requests.RequestException as e:
                raise PaasError(f"lost the download from {self.url}: {e}") from e
        expected = resp.headers.get("Content-Length")
        if expected is not None and int(expected) != written:
            raise PaasError(f"the download of {backup_id} ended early ({written} of "
                            f"{expected} bytes)")
        return written

    def open_console(self, app: str, kind: str, command: str | None, tty: bool, rows: int,
                     cols: int) -> RunConnection:
        """The add-on's client (psql) attached like ``paas run``."""
        return self._upgrade(api_path("apps", app, "addons", kind, "console"),
                             {"command": command, "tty": tty, "rows": rows, "cols": cols})

    def autoscale(self, app: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("apps", app, "autoscale")))

    def set_autoscale(self, app: str, process_type: str, policy: dict[str, Any]
                      ) -> dict[str, Any]:
        return dict(self.request("PUT", api_path("apps", app, "autoscale", process_type),
                                 policy))

    def unset_autoscale(self, app: str, process_type: str) -> dict[str, Any]:
        return dict(self.request("DELETE", api_path("apps", app, "autoscale", process_type)))

    # logs and run -----------------------------------------------------------------------
    def logs(self, app: str, lines: int, process_type: str | None, follow: bool
             ) -> Generator[str, None, None]:
        """Log lines as the server sends them; a followed stream ends only when closed."""
        params: dict[str, str] = {"lines": str(lines)}
        if process_type:
            params["process"] = process_type
        if follow:
            params["follow"] = "1"
        try:
            resp = self.session.get(
                f"{self.url}{api_path('apps', app, 'logs')}", params=params, stream=True,
                timeout=(self.timeout, FOLLOW_READ_TIMEOUT if follow else self.timeout))
        except requests.ConnectionError as e:
            raise self._unreachable() from e
        with resp:
            if resp.status_code >= 400:
                raise PaasError(_error_of(resp.status_code, resp.reason, resp.content))
            pending = b""
            try:
                # chunk_size=None: each chunk as it arrives, so a followed line shows at once
                for chunk in resp.iter_content(chunk_size=None):
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    for raw in complete:
                        if raw:  # empty lines are the server's keep-alives
                            yield raw.decode(errors="replace")
            except requests.RequestException as e:
                raise PaasError(f"lost the log stream from {self.url}: {e}") from e
            if pending:
                yield pending.decode(errors="replace")

    def open_run(self, app: str, command: list[str], tty: bool, rows: int, cols: int
                 ) -> RunConnection:
        """Start ``paas run`` and take the connection over (HTTP Upgrade to paas-run)."""
        return self._upgrade(api_path("apps", app, "run"),
                             {"command": command, "tty": tty, "rows": rows, "cols": cols})

    def _upgrade(self, path: ApiPath, request: dict[str, Any]) -> RunConnection:
        """POST ``request`` to ``path`` and take the connection over (paas-run frames)."""
        parts = urlsplit(self.url)
        https = parts.scheme == "https"
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if https else 80)
        body = json.dumps(request).encode()
        head = (
            f"POST {parts.path.rstrip('/')}{path} HTTP/1.1\r\n"
            f"Host: {parts.netloc}\r\n"
            f"Authorization: {self.auth}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Connection: Upgrade\r\nUpgrade: {wire.UPGRADE}\r\n\r\n"
        ).encode()
        try:
            sock = socket.create_connection((host, port), timeout=self.timeout)
            if https:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            sock.sendall(head + body)
            reader = sock.makefile("rb")
            status_line = reader.readline(65536).decode("latin-1")
            headers: dict[str, str] = {}
            while (line := reader.readline(65536).decode("latin-1").strip()):
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        except OSError as e:
            raise self._unreachable() from e
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError) as e:
            sock.close()
            raise PaasError(f"unexpected answer from {self.url}: {status_line!r}") from e
        if status != 101:
            length = int(headers.get("content-length", "0") or 0)
            content = reader.read(length) if length else b""
            sock.close()
            raise PaasError(_error_of(status, "", content))
        sock.settimeout(None)
        return RunConnection(sock, reader)


def _error_of(status: int, reason: str, content: bytes) -> str:
    try:
        data = json.loads(content) if content else None
    except ValueError:
        data = None
    message = data.get("error") if isinstance(data, dict) else None
    return str(message or f"server answered {status} {reason}".strip())


class RunConnection:
    """The taken-over connection of ``paas run``: paas.wire frames both ways."""

    def __init__(self, sock: socket.socket, reader: BinaryIO) -> None:
        self.sock = sock
        self.reader = reader

    def send(self, kind: int, payload: bytes = b"") -> None:
        self.sock.sendall(wire.frame(kind, payload))

    def recv(self) -> tuple[int, bytes] | None:
        """The next frame from the server; None when the connection ended."""
        try:
            return wire.read_frame(self.reader.read)
        except (OSError, wire.ProtocolError):
            return None

    def close(self) -> None:
        """End the session; the server then kills the command if it still runs.

        shutdown() first: it wakes a thread blocked reading, where close() alone would
        wait for that read (the reader's lock) forever.
        """
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
