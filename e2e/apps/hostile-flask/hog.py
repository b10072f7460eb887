"""Allocates and touches 1 GB at start: a 512 MB replica must be OOM-killed, again and
again, by its memory limit (and restarted by the engine), never swap or hurt others."""

import time

hog = b"x" * (1024 ** 3)
print(f"allocated {len(hog)} bytes", flush=True)
time.sleep(3600)
