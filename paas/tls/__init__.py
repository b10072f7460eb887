"""TLS adapters of the docker runtime: certificate files for the router, the ACME client."""
