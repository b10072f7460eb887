"""The platform server: HTTP API, git smart-HTTP receiver, auth."""
