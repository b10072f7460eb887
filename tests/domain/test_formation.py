import pytest

from paas.domain.formation import (
    ScaleChange,
    apply_scale,
    default_replicas,
    desired,
    parse_scale_args,
)
from paas.errors import InvalidInput


def test_default_replicas():
    assert default_replicas("web") == 1
    assert default_replicas("worker") == 0
    assert default_replicas("beat") == 0


def test_desired_fills_defaults_and_drops_release():
    assert desired({}, ["web", "worker", "release"]) == {"web": 1, "worker": 0}


def test_desired_uses_formation_and_ignores_types_not_in_build():
    formation = {"web": 3, "worker": 2, "gone": 5, "release": 4}
    assert desired(formation, ["web", "worker", "release"]) == {"web": 3, "worker": 2}


def test_desired_web_can_be_zero():
    assert desired({"web": 0}, ["web"]) == {"web": 0}


def test_parse_scale_args():
    assert parse_scale_args(["web=3", "worker+1", "web-1", "my-worker=0"]) == [
        ScaleChange("web", "=", 3),
        ScaleChange("worker", "+", 1),
        ScaleChange("web", "-", 1),
        ScaleChange("my-worker", "=", 0),
    ]


@pytest.mark.parametrize(
    "arg", ["web=-1", "web=x", "web=", "web=1.5", "web+", "web=+2", "web=\u00b2", "web=\u0663"]
)
def test_parse_scale_args_bad_count(arg):
    with pytest.raises(InvalidInput, match="invalid count"):
        parse_scale_args([arg])


@pytest.mark.parametrize("arg", ["web", "=3", "Web=3", "web*2", "web 3", "_web=1", "web=3\n"])
def test_parse_scale_args_bad_shape(arg):
    with pytest.raises(InvalidInput, match="invalid scale argument"):
        parse_scale_args([arg])


def test_parse_scale_args_nothing():
    with pytest.raises(InvalidInput, match="nothing to scale"):
        parse_scale_args([])


def test_apply_scale_set_and_adjust():
    result = apply_scale(
        {"web": 2},
        ["web", "worker", "release"],
        [ScaleChange("web", "+", 3), ScaleChange("worker", "=", 4), ScaleChange("web", "-", 1)],
    )
    assert result == {"web": 4, "worker": 4}


def test_apply_scale_starts_from_defaults():
    assert apply_scale({}, ["web", "worker"], [ScaleChange("worker", "+", 1)]) == {
        "web": 1,
        "worker": 1,
    }


def test_apply_scale_does_not_mutate_current():
    current = {"web": 1}
    apply_scale(current, ["web"], [ScaleChange("web", "=", 5)])
    assert current == {"web": 1}


def test_apply_scale_unknown_type_lists_known_types():
    with pytest.raises(InvalidInput) as exc:
        apply_scale({}, ["worker", "web", "release"], [ScaleChange("wrker", "=", 1)])
    assert exc.value.message == ("unknown process type 'wrker' (this app has: web, worker); "
                                 "add a line 'wrker: <command>' to the Procfile and push")


def test_scaling_a_worker_the_app_lacks_suggests_the_procfile_line():
    with pytest.raises(InvalidInput) as exc:
        apply_scale({}, ["web"], [ScaleChange("worker", "=", 1)])
    assert exc.value.message == (
        "unknown process type 'worker' (this app has: web); add a line 'worker: celery -A "
        "<module with the Celery app> worker --loglevel=INFO' to the Procfile and push")


def test_apply_scale_release_is_not_scalable():
    with pytest.raises(InvalidInput, match="unknown process type 'release'"):
        apply_scale({}, ["web", "release"], [ScaleChange("release", "=", 1)])


def test_apply_scale_no_types():
    with pytest.raises(InvalidInput, match=r"this app has: none"):
        apply_scale({}, [], [ScaleChange("web", "=", 1)])


def test_apply_scale_negative_refused():
    with pytest.raises(InvalidInput) as exc:
        apply_scale({"web": 1}, ["web"], [ScaleChange("web", "-", 2)])
    assert exc.value.message == "web cannot be scaled below 0 (it runs 1)"


def test_apply_scale_beat_is_a_singleton():
    assert apply_scale({}, ["web", "beat"], [ScaleChange("beat", "=", 1)]) == {
        "web": 1,
        "beat": 1,
    }
    with pytest.raises(InvalidInput, match="beat is a singleton"):
        apply_scale({}, ["beat"], [ScaleChange("beat", "=", 2)])
    with pytest.raises(InvalidInput, match="beat is a singleton"):
        apply_scale({"beat": 1}, ["beat"], [ScaleChange("beat", "+", 1)])
