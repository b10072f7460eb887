"""Persistence of apps, releases, formations and tokens."""
