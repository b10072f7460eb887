import json
from dataclasses import replace
from typing import Any

from paas.builder import deps_install as D
from paas.builder.plan import BuildPlan, Dependencies

STACK = "sha256:" + "5" * 64
BASE = "sha256:" + "b" * 64


def _inputs(**kw: Any) -> D.Inputs:
    inputs = D.Inputs(stack_id=STACK, args=("-r", "requirements.txt", "gunicorn"),
                      files={"requirements.txt": "100644 aaaa"}, generated={},
                      ca_bundle=b"ca",
                      index_urls=("https://user:s3cret@index.example/simple", None),
                      commit="c1")
    return replace(inputs, **kw)


def _previous(inputs, depth=1, image="sha256:prev"):
    return D.DepsImage(image, D.key(inputs), D.recipe(inputs), depth)


def test_one_exact_install_with_the_server_packages_last():
    plan = BuildPlan(
        dependencies=Dependencies(manager="x", files=(),
                                  pip_args=(("-r", "/tmp/build/deps/r.txt", "-c", "c.txt"),)),
        processes={}, release_command=None, packages=("gunicorn",))
    assert D.install_args(plan) == ["-r", "/tmp/build/deps/r.txt", "-c", "c.txt", "gunicorn"]
    assert "--exact" in D.INSTALL_SCRIPT and '"$@"' in D.INSTALL_SCRIPT


def test_unchanged_dependencies_reuse_the_previous_environment():
    inputs = _inputs()
    start = D.start(_previous(inputs, depth=3), replace(inputs, commit="c2"), BASE)
    assert (start.image, start.depth) == (None, 3)


def test_a_changed_requirement_grows_the_previous_environment_by_one_layer():
    before = _inputs()
    after = _inputs(files={"requirements.txt": "100644 bbbb"})
    start = D.start(_previous(before, depth=2), after, BASE)
    assert (start.image, start.depth) == ("sha256:prev", 3)
    assert "syncing" in start.why


def test_the_chain_is_bounded_then_installed_afresh():
    before = _inputs()
    after = _inputs(args=("-r", "requirements.txt", "uvicorn"))
    start = D.start(_previous(before, depth=D.MAX_CHAIN), after, BASE)
    assert (start.image, start.depth) == (BASE, 1)
    assert D.start(None, after, BASE) == D.Start(BASE, 1, "first install")


def test_a_new_stack_index_or_ca_means_a_fresh_install():
    before = _inputs()
    for changed in (_inputs(stack_id="sha256:other"), _inputs(ca_bundle=b"other"),
                    _inputs(index_urls=(None, None))):
        assert D.recipe(changed) != D.recipe(before)
        assert D.start(_previous(before), changed, BASE).image == BASE


def test_an_install_reading_the_whole_source_is_never_reused_but_still_grows():
    before = _inputs(files=None)
    after = _inputs(files=None, commit="c2")
    start = D.start(_previous(before), after, BASE)
    assert (start.image, start.depth) == ("sha256:prev", 2)


def test_labels_round_trip_and_hold_no_credential():
    made = _previous(_inputs(), depth=4, image="sha256:x")
    labels = made.labels()
    assert D.DepsImage.from_labels("sha256:x", labels) == made
    assert "s3cret" not in json.dumps(labels)
    assert D.DepsImage.from_labels("sha256:x", {D.KEY_LABEL: "k"}) is None
    assert D.DepsImage.from_labels("sha256:x", {**labels, D.DEPTH_LABEL: "x"}) is None


def test_the_install_script_reads_no_secret_from_its_command_line_or_environment():
    assert "PIP_INDEX_URL" not in D.INSTALL_SCRIPT
    assert f'"$(cat {D.INDEX_FILE})"' in D.INSTALL_SCRIPT
    # inputs removed and other processes ended before the container is committed
    tail = D.INSTALL_SCRIPT[D.INSTALL_SCRIPT.index("status=$?"):]
    assert "kill -9 -1" in tail and f"rm -rf {D.BUILD_DIR}" in tail
    assert tail.index("kill -9 -1") < tail.index("chmod a-s")


def test_changes_outside_the_venv_are_stray():
    diff = [{"Path": "/opt", "Kind": 0}, {"Path": "/opt/venv", "Kind": 0},
            {"Path": "/opt/venv/lib/x.py", "Kind": 1}, {"Path": "/tmp", "Kind": 0},
            {"Path": "/usr/bin/su", "Kind": 0}, {"Path": "/opt/venvx", "Kind": 1},
            {"Path": "/tmp/left", "Kind": 1}]
    assert D.stray_changes(diff) == ["/usr/bin/su", "/opt/venvx", "/tmp/left"]
