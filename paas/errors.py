"""One exception root for the whole platform.

Adapters translate SDK errors into these (``raise ... from e``) so that the API can map
them to HTTP statuses and the CLI to one-line messages, without knowing any SDK.
"""

from __future__ import annotations


class PaasError(Exception):
    """Base of every error the platform raises on purpose; ``str()`` is the user message.

    ``log`` holds the output that explains it (a build log, a release phase's last
    lines), shown after the message; empty when the message says it all.
    """

    status = 500

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.log = log


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


class DeployFailed(PaasError):
    """A release could not be brought up; the previous release keeps serving."""

    status = 422


class RuntimeRejected(PaasError):
    """The engine or cluster refused what the platform asked of it.

    Not the user's input: the platform built the request, so it answers 502 and says
    what the runtime said, rather than blaming the caller with a 400.
    """

    status = 502


class RuntimeUnavailable(PaasError):
    """The container engine or cluster cannot be reached."""

    status = 503


class BackupFailed(PaasError):
    """A backup capture or restore did not complete; ``log`` holds the tool's errors.

    A failed restore leaves the data as it was (it runs as one transaction).
    """

    status = 422
