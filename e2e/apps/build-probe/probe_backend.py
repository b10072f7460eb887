"""A PEP 517 backend that runs the tenant's code at build time, as any backend may.

It reports the default gateway of the container it runs in and whether the cloud
metadata address answers, then fails the build, so the report reaches the pusher.
"""

import socket
import struct
import sys


def _gateway() -> str:
    with open("/proc/net/route") as routes:
        for line in routes.read().splitlines()[1:]:
            fields = line.split()
            if fields[1] == "00000000":
                return socket.inet_ntoa(struct.pack("<L", int(fields[2], 16)))
    return "none"


def _metadata() -> str:
    try:
        socket.create_connection(("169.254.169.254", 80), timeout=3).close()
        return "connected"
    except TimeoutError:
        return "timeout"
    except OSError as e:
        return type(e).__name__


print(f"PAAS-PROBE gateway={_gateway()} metadata={_metadata()}", file=sys.stderr)
raise SystemExit("the probe ends the build here")
