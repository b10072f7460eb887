"""The paas command line."""
