"""``paas server``: run the platform in the foreground."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from paas.domain.limits import CEILING
from paas.settings import Settings, default_home


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="API and git address.")
@click.option("--port", default=7070, show_default=True, type=click.IntRange(1, 65535))
@click.option("--router-host", default=None, help="Router address (default: --host).")
@click.option("--router-port", default=8080, show_default=True, type=click.IntRange(1, 65535))
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
def server(host: str, port: int, router_host: str | None, router_port: int, domain: str,
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
        domain=domain.lower().strip("."),
        runtime=runtime,
    )
    if autoscale_interval is not None:
        settings = replace(settings, autoscale_interval=autoscale_interval)
    if autoscale_window is not None:
        settings = replace(settings, autoscale_window=autoscale_window)
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
