"""Pure values and rules of the platform: no I/O, no SDKs."""
