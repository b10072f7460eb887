"""The host firewall rule that keeps app containers away from link-local addresses.

On a cloud VM, 169.254.169.254 serves the instance's metadata, credentials included;
any container whose traffic the host forwards reaches it. Docker has no per-network
egress filter, so the platform adds one rule to the ``DOCKER-USER`` chain (which Docker
creates, jumps to first from ``FORWARD`` and never flushes)::

    -I DOCKER-USER -i pa-+ -d 169.254.0.0/16 -j DROP

``pa-+`` matches the bridge of every app network (``networks.bridge_name``), of every
paas instance on the host: the rule is global, shared and idempotent (checked before it
is inserted), and never instance-specific, so cleaning up an instance leaves nothing of
its own behind. Networks of an instance started with ``--allow-metadata`` get ``pm-``
bridges that the rule does not match.

The server may run as an unprivileged member of the docker group, so it cannot call
iptables itself: a short-lived helper container (the router image, which carries
iptables) in the host's network namespace with NET_ADMIN does it. The helper picks the
iptables backend (nft or legacy) whose ``DOCKER-USER`` chain exists, i.e. the one
dockerd writes to.

App networks have no IPv6 (Docker's default, which the platform keeps), so IPv6
metadata addresses such as ``fd00:ec2::254`` have no route from an app container.
"""

from __future__ import annotations

from collections.abc import Mapping

from paas.errors import RuntimeUnavailable
from paas.runtime.docker.engine import Engine, EngineError

#: Link-local IPv4: cloud metadata (169.254.169.254) and its relatives (169.254.170.2).
METADATA_CIDR = "169.254.0.0/16"
#: Bridge name prefix of app networks whose link-local traffic is dropped.
BLOCKED_BRIDGE_PREFIX = "pa-"
#: Bridge name prefix of app networks of an instance that allows metadata access.
ALLOWED_BRIDGE_PREFIX = "pm-"
RULE = ("-i", BLOCKED_BRIDGE_PREFIX + "+", "-d", METADATA_CIDR, "-j", "DROP")

#: Run by /bin/sh in the helper as ``sh -c SCRIPT paas-firewall ACTION RULE...``: a
#: fixed program, the rule passed as arguments (nothing is interpolated into it).
SCRIPT = """
action=$1; shift
found=
for ipt in iptables-nft iptables-legacy; do
    command -v "$ipt" >/dev/null 2>&1 || continue
    found=1
    "$ipt" -w 5 -S DOCKER-USER >/dev/null 2>&1 || continue
    case "$action" in
        check) exec "$ipt" -w 5 -C DOCKER-USER "$@" ;;
        ensure) "$ipt" -w 5 -C DOCKER-USER "$@" 2>/dev/null && exit 0
                exec "$ipt" -w 5 -I DOCKER-USER 1 "$@" ;;
        remove) while "$ipt" -w 5 -D DOCKER-USER "$@" 2>/dev/null; do :; done; exit 0 ;;
    esac
done
if [ -z "$found" ]; then echo "no iptables in this image" >&2; exit 4; fi
echo "no DOCKER-USER chain: dockerd does not manage iptables on this host" >&2
exit 3
"""
_NO_IPTABLES = 4


def _argv(action: str) -> list[str]:
    return ["/bin/sh", "-c", SCRIPT, "paas-firewall", action, *RULE]


def _run(engine: Engine, image: str, labels: Mapping[str, str], action: str
         ) -> tuple[int, str]:
    try:
        return engine.run_host_helper(image, _argv(action), labels)
    except EngineError as e:
        raise RuntimeUnavailable(f"cannot {action} the metadata firewall rule: {e.message}; "
                                 "--allow-metadata runs apps without it") from e


def ensure_metadata_block(engine: Engine, image: str, labels: Mapping[str, str]) -> None:
    """Insert the rule unless it is there; refuse loudly when it cannot be installed,
    so that apps never run unprotected without the operator having said so."""
    code, output = _run(engine, image, labels, "ensure")
    if code == 0:
        return
    hint = (f"the image {image} has no iptables: run `paas stack build`"
            if code == _NO_IPTABLES else output.strip() or f"exit code {code}")
    raise RuntimeUnavailable(f"cannot block link-local metadata addresses for apps ({hint}); "
                             "start the server with --allow-metadata "
                             "(PAAS_ALLOW_METADATA=1) to run apps without the block")


def metadata_block_present(engine: Engine, image: str, labels: Mapping[str, str]) -> bool:
    code, _ = _run(engine, image, labels, "check")
    return code == 0


def remove_metadata_block(engine: Engine, image: str, labels: Mapping[str, str]) -> None:
    """Delete the rule (every copy); for a host where no paas instance runs any more."""
    code, output = _run(engine, image, labels, "remove")
    if code != 0:
        raise RuntimeUnavailable(f"cannot remove the metadata firewall rule: {output.strip()}")
