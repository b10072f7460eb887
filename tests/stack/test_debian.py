"""The Debian-built stacks: which debootstrap call, which images a build makes."""

from pathlib import Path

from paas.settings import DEBIAN_STACKS, StackImages
from paas.stack.debian import debootstrap_command, python_dockerfile, pythons_to_build, rootfs_for

BOOKWORM, TRIXIE, FORKY = DEBIAN_STACKS


def test_a_release_the_host_knows_uses_its_own_script(tmp_path):
    (tmp_path / "trixie").write_text("")
    args = debootstrap_command(TRIXIE, Path("/r"), "http://mirror/debian", tmp_path)
    assert args == ["debootstrap", "--variant=minbase",
                    "--include=python3,python3-venv,ca-certificates,tini", "trixie", "/r",
                    "http://mirror/debian"]


def test_forky_is_bootstrapped_with_the_sid_script_and_names_its_python(tmp_path):
    (tmp_path / "sid").write_text("")
    args = debootstrap_command(FORKY, Path("/r"), "http://m", tmp_path)
    assert args[2] == "--include=python3.14,python3.14-venv,ca-certificates,tini"
    assert args[3:] == ["forky", "/r", "http://m", str(tmp_path / "sid")]


def test_the_stack_venv_is_made_by_the_named_python():
    text = python_dockerfile(rootfs_for(FORKY), FORKY)
    assert text.splitlines()[0] == "FROM paas-stack/python-rootfs:3.14-forky-r3"
    assert 'RUN ["python3.14", "-m", "venv", "/opt/venv"]' in text
    assert '"paas.debian"="forky"' in text


def test_a_starting_platform_builds_one_stack_only_when_none_exists():
    images = StackImages(pythons=DEBIAN_STACKS)
    assert pythons_to_build(images, set(), None) == (BOOKWORM,)
    assert pythons_to_build(images, {TRIXIE.image}, None) == ()
    # `paas stack build` asks for the set, `--python 3.14` for one
    assert pythons_to_build(images, {TRIXIE.image}, DEBIAN_STACKS) == DEBIAN_STACKS
    assert pythons_to_build(images, set(), (FORKY,)) == (FORKY,)
