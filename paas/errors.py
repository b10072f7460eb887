"""One exception root for the whole platform.

Adapters translate SDK errors into these (``raise ... from e``) so that the API can map
them to HTTP statuses and the CLI to one-line messages, without knowing any SDK.
"""

from __future__ import annotations


class PaasError(Exception):
    """Base of every error the platform raises on purpose; ``str()`` is the user message."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PaasError):
    status = 400


class Unauthorized(PaasError):
    status = 401


class Forbidden(PaasError):
    status = 403


class NotFound(PaasError):
    status = 404


class Conflict(PaasError):
    status = 409


class BuildFailed(PaasError):
    """The image could not be built; ``log`` holds the build output that explains why."""

    status = 422

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class DeployFailed(PaasError):
    """A release could not be brought up; the previous release keeps serving."""

    status = 422

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class RuntimeUnavailable(PaasError):
    """The container engine or cluster cannot be reached."""

    status = 503
