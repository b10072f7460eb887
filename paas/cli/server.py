"""``paas server``: run the platform in the foreground."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from paas.domain.limits import CEILING
from paas.settings import ROUTER_NETWORKS, Settings, default_home


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="API and git address.")
@click.option("--port", default=7070, show_default=True, type=click.IntRange(1, 65535))
@click.option("--router-host", default=None, help="Router address (default: --host).")
@click.option("--router-port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--router-https-port", type=click.IntRange(1, 65535), default=None,
              help="Router HTTPS port (default: 443 when --router-port is 80, else off).")
@click.option("--router-network", type=click.Choice(ROUTER_NETWORKS), default=None,
              help="Docker: run the router on the host's network namespace (fastest, "
                   "the default) or on a bridge network with published ports "
                   "(env PAAS_ROUTER_NETWORK).")
@click.option("--acme-directory", default=None, metavar="URL",
              help="ACME directory for automatic certificates "
                   "(env PAAS_ACME_DIRECTORY; default Let's Encrypt production).")
@click.option("--acme-email", default=None,
              help="Contact of the ACME account: expiry notices (env PAAS_ACME_EMAIL).")
@click.option("--acme-ca-bundle", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="CA bundle that verifies a private ACME server "
                                 "(env PAAS_ACME_CA_BUNDLE).")
@click.option("--domain", default="localhost", show_default=True, envvar="PAAS_DOMAIN",
              help="Apps answer at NAME.DOMAIN.")
@click.option("--home", type=click.Path(path_type=Path), default=None,
              help="State directory (env PAAS_HOME; default ~/.local/share/paas).")
@click.option("--runtime", type=click.Choice(["docker", "kubernetes"]), default="docker",
              envvar="PAAS_RUNTIME", show_default=True,
              help="Where apps run: this host's Docker engine, or the cluster of "
                   "$KUBECONFIG / the pod's service account (needs PAAS_REGISTRY).")
@click.option("--autoscale-interval", type=click.FloatRange(min=0.1), default=None,
              help="Seconds between autoscaling evaluations (env PAAS_AUTOSCALE_INTERVAL; 5).")
@click.option("--autoscale-window", type=click.FloatRange(min=0), default=None,
              help="Scale-down stabilization window in seconds "
                   "(env PAAS_AUTOSCALE_WINDOW; 300).")
@click.option("--allow-metadata", is_flag=True, default=None,
              help="Let app containers reach link-local addresses such as the cloud "
                   "metadata service 169.254.169.254 (env PAAS_ALLOW_METADATA; "
                   "blocked by default).")
@click.option("--max-replicas", type=click.IntRange(1, CEILING), default=None,
              help="Replicas a process type of an app may run (env "
                   "PAAS_MAX_REPLICAS_PER_TYPE; 10); an admin raises it per app with "
                   "`paas apps:limits`.")
def server(host: str, port: int, router_host: str | None, router_port: int,
           router_https_port: int | None, router_network: str | None,
           acme_directory: str | None,
           acme_email: str | None, acme_ca_bundle: Path | None, domain: str,
           home: Path | None, runtime: str, autoscale_interval: float | None,
           autoscale_window: float | None, allow_metadata: bool | None,
           max_replicas: int | None) -> None:
    """Run the platform: API and git on --port, the nginx router on --router-port."""
    from paas.composition import assemble
    from paas.server.main import serve

    settings = Settings(
        home=(home or default_home()).expanduser().resolve(),
        host=host,
        port=port,
        router_host=router_host,
        router_port=router_port,
        router_https_port=router_https_port or (443 if router_port == 80 else None),
        domain=domain.lower().strip("."),
        runtime=runtime,
    )
    if router_network is not None:
        settings = replace(settings, router_network=router_network)
    if autoscale_interval is not None:
        settings = replace(settings, autoscale_interval=autoscale_interval)
    if autoscale_window is not None:
        settings = replace(settings, autoscale_window=autoscale_window)
    acme = settings.acme
    settings = replace(settings, acme=replace(
        acme, directory=acme_directory or acme.directory, email=acme_email or acme.email,
        ca_bundle=acme_ca_bundle.resolve() if acme_ca_bundle else acme.ca_bundle))
    if allow_metadata:
        settings = replace(settings, allow_metadata=True)
    if max_replicas is not None:
        bounds = settings.replicas  # the app and host totals grow with it, never below
        settings = replace(settings, replicas=replace(
            bounds, per_type=max_replicas, per_app=max(bounds.per_app, max_replicas),
            host=max(bounds.host, max_replicas)))
    say = lambda line: click.echo(line, err=True)  # noqa: E731
    serve(assemble(settings, say), say)


@click.command("secrets:rotate")
@click.option("--home", type=click.Path(path_type=Path), default=None,
              help="State directory (env PAAS_HOME; default ~/.local/share/paas).")
def secrets_rotate(home: Path | None) -> None:
    """On the server's host, with the server stopped: seal stored config values and
    add-on passwords with a new key and retire the old one."""
    from paas.composition import rotate_secret_key

    settings = Settings(home=(home or default_home()).expanduser().resolve())
    rotate_secret_key(settings, lambda line: click.echo(line, err=True))


COMMANDS = [server, secrets_rotate]
