"""Buildpacks: one subpackage per language or framework (see paas/builder/buildpacks.py)."""
