import pytest

from paas.domain.celery import celery_queues, is_celery_worker, queues_by_type


@pytest.mark.parametrize(
    ("command", "queues"),
    [
        ("celery -A proj worker", ("celery",)),
        ("celery -A proj worker -Q high,low", ("high", "low")),
        ("celery -A proj worker -Qhigh", ("high",)),
        ("celery -A proj worker --queues=a,b --queues c", ("a", "b", "c")),
        ("celery -A proj worker -Q 'a, b' -c 2", ("a", "b")),
        ("/app/.venv/bin/celery --app proj worker -Q a -Q a", ("a",)),
        ("python -m celery -A proj worker -Q mail", ("mail",)),
        ("celery -A proj beat", ()),
        ("gunicorn app:app", ()),
        ("rq worker", ()),
    ],
)
def test_queues_come_from_the_worker_command(command, queues):
    assert celery_queues(command) == queues
    assert is_celery_worker(command) is bool(queues)


def test_queues_by_type_lists_only_celery_workers():
    processes = {
        "web": "gunicorn app:app",
        "worker": "celery -A proj worker",
        "mail": "celery -A proj worker -Q mail",
        "beat": "celery -A proj beat",
    }
    assert queues_by_type(processes) == {"worker": ("celery",), "mail": ("mail",)}


def test_unbalanced_quotes_do_not_break_parsing():
    assert celery_queues("celery -A 'proj worker -Q x") == ("x",)
