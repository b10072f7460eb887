"""Buildpacks: one subpackage per language or framework (see paas/build/buildpacks.py)."""
