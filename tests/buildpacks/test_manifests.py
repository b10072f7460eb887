import pytest

from buildpacks.python.manifests import lock_pins, normalize, poetry_constraint
from paas.errors import BuildFailed


@pytest.mark.parametrize(
    ("spec", "pep440"),
    [
        ("*", ""),
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1", ">=1,<2"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("1.2.3", "==1.2.3"),
        ("1.2.*", "==1.2.*"),
        (">=1.0,<2.0", ">=1.0,<2.0"),
        (">= 1.0 < 2.0", ">=1.0,<2.0"),
        ("!=1.5", "!=1.5"),
    ],
)
def test_poetry_constraints(spec, pep440):
    assert poetry_constraint(spec, "x") == pep440


def test_unreadable_poetry_constraint():
    with pytest.raises(BuildFailed, match="cannot read version constraint"):
        poetry_constraint("^abc", "pyproject.toml x")


def test_normalize():
    assert normalize("Flask_SQLAlchemy") == normalize("flask.sqlalchemy") == "flask-sqlalchemy"


def test_lock_pins_skip_non_registry_and_bad_entries():
    data = {"package": [{"name": "a", "version": "1"}, {"name": "b"},
                        {"name": "c", "version": "2", "git": "https://x"},
                        {"name": "d", "version": "3", "source": {"type": "git"}},
                        {"name": "E", "version": "4", "source": {"type": "legacy"}}]}
    assert lock_pins(data, "poetry.lock") == ("a==1", "e==4")
    with pytest.raises(BuildFailed):
        lock_pins({"package": {}}, "poetry.lock")
