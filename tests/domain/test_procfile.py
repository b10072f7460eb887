import pytest

from paas.domain.procfile import parse_procfile
from paas.errors import InvalidInput


def test_types_in_file_order_with_commands_stripped():
    text = "worker: celery -A proj worker\nweb:   gunicorn app:app  \nbeat:celery beat\n"
    result = parse_procfile(text)
    assert result == {
        "worker": "celery -A proj worker",
        "web": "gunicorn app:app",
        "beat": "celery beat",
    }
    assert list(result) == ["worker", "web", "beat"]


def test_blank_lines_and_comments_skipped():
    text = "# processes\n\n   \n  # indented comment\nweb: gunicorn app:app\n"
    assert parse_procfile(text) == {"web": "gunicorn app:app"}


def test_empty_file():
    assert parse_procfile("") == {}


def test_colons_in_command_kept():
    assert parse_procfile("web: gunicorn 'app:create_app()' -b :$PORT") == {
        "web": "gunicorn 'app:create_app()' -b :$PORT"
    }


def test_release_is_an_ordinary_entry():
    assert parse_procfile("release: python manage.py migrate\n") == {
        "release": "python manage.py migrate"
    }


def test_crlf_line_endings():
    assert parse_procfile("web: a\r\nworker: b\r\n") == {"web": "a", "worker": "b"}


def test_duplicate_names_the_second_line():
    with pytest.raises(InvalidInput) as exc:
        parse_procfile("web: a\n# c\nweb: b\n")
    assert exc.value.message == "Procfile line 3: process type 'web' defined twice"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("web: a\nthis is not a process\n", 2),
        ("web:\n", 1),
        ("\n\nweb:    \n", 3),
        (": cmd\n", 1),
        ("web a\n", 1),
    ],
)
def test_bad_line_names_its_number(text, line):
    with pytest.raises(InvalidInput) as exc:
        parse_procfile(text)
    assert exc.value.message.startswith(f"Procfile line {line}: expected 'type: command'")


@pytest.mark.parametrize("name", ["Web", "my_worker", "-web"])
def test_invalid_process_type_names_its_line(name):
    with pytest.raises(InvalidInput) as exc:
        parse_procfile(f"web: a\n{name}: b\n")
    assert exc.value.message.startswith("Procfile line 2: invalid process type")
    assert repr(name) in exc.value.message
