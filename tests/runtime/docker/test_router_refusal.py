import inspect

from paas.router.config import WORKER_SHUTDOWN_SECONDS
from paas.runtime.docker.router import Router, refusal_reason


def test_the_reason_is_nginx_s_error_without_time_and_process() -> None:
    output = ('2026/12/03 15:08:38 [emerg] 1#1: cannot load certificate "/c/x.pem": '
              "BIO_new_file() failed\n"
              "nginx: configuration file /etc/paas-router/nginx.conf test failed\n")
    assert refusal_reason(output) == 'cannot load certificate "/c/x.pem": BIO_new_file() failed'


def test_an_error_nginx_prints_itself_keeps_its_text() -> None:
    output = ('nginx: [emerg] unknown directive "bogus" in /c/nginx.conf:2\n'
              "nginx: configuration file /c/nginx.conf test failed\n")
    assert refusal_reason(output) == 'unknown directive "bogus" in /c/nginx.conf:2'


def test_output_without_an_error_line_gives_its_first_line() -> None:
    assert refusal_reason("\n  something odd\nmore\n") == "something odd"
    assert refusal_reason("") == "no reason given"


def test_old_workers_close_their_connections_before_the_drain_gives_up():
    # A websocket held open must not make every drain time out: nginx ends an old
    # worker's connections first.
    drain = inspect.signature(Router.apply).parameters["timeout"].default
    assert drain > WORKER_SHUTDOWN_SECONDS
