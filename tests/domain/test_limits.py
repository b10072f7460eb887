"""Bounds on what a tenant may ask for, and sizes: pure, checked before any work."""

from __future__ import annotations

import pytest

from paas.domain.formation import parse_scale_args
from paas.domain.limits import (
    CEILING,
    AppLimits,
    ReplicaBounds,
    admit_memory,
    check_formation,
    check_host,
    check_network,
    parse_count,
    usable_memory,
)
from paas.domain.sizes import DEFAULT, MIB, SIZES, parse_resize_args, size_of
from paas.errors import InvalidInput

GIB = 1024 * MIB
BOUNDS = ReplicaBounds(per_type=10, per_app=20, host=100, process_types=5)


@pytest.mark.parametrize("count", ["9999999999999999999999", "1001", "9" * 5000,
                                   "0" * 30 + "1" * 30])
def test_a_huge_count_is_one_line_refused_without_converting_it(count):
    with pytest.raises(InvalidInput) as e:
        parse_scale_args([f"web={count}"])
    assert "\n" not in e.value.message
    assert len(e.value.message) < 200
    assert f"at most {CEILING}" in e.value.message


def test_counts_up_to_the_ceiling_parse_and_leading_zeros_are_fine():
    assert parse_count("1000", "web") == 1000
    assert parse_count("0003", "web") == 3
    assert parse_count("0", "web") == 0


def test_above_the_bound_per_type_is_refused_naming_what_fits():
    with pytest.raises(InvalidInput, match=r"web=11 refused: shop may run at most 10 "):
        check_formation("shop", {"web": 11}, BOUNDS, AppLimits())
    check_formation("shop", {"web": 10}, BOUNDS, AppLimits())


def test_an_admin_grant_raises_the_bounds_of_one_app():
    raised = AppLimits(max_per_type=50, max_per_app=60)
    check_formation("shop", {"web": 50, "worker": 10}, BOUNDS, raised)
    with pytest.raises(InvalidInput, match="at most 60 replicas in all"):
        check_formation("shop", {"web": 50, "worker": 11}, BOUNDS, raised)


def test_above_the_bound_per_app_is_refused():
    with pytest.raises(InvalidInput, match="at most 20 replicas in all"):
        check_formation("shop", {"web": 10, "worker": 10, "beat": 1}, BOUNDS, AppLimits())


def test_too_many_process_types_are_refused():
    with pytest.raises(InvalidInput, match="6 process types refused: an app may have at most 5"):
        check_formation("shop", {f"t{i}": 0 for i in range(6)}, BOUNDS, AppLimits())


def test_a_bound_lowered_later_never_blocks_a_scale_down():
    check_formation("shop", {"web": 15}, BOUNDS, AppLimits(), old={"web": 30})
    check_host("shop", {"web": 15}, 99, BOUNDS, old={"web": 30})


def test_the_platform_total_counts_every_other_app():
    with pytest.raises(InvalidInput, match="other apps run 95, so shop fits 5"):
        check_host("shop", {"web": 6}, 95, BOUNDS)
    check_host("shop", {"web": 5}, 95, BOUNDS)


def test_memory_admission_says_what_was_asked_and_what_fits():
    sizes = {"web": DEFAULT}
    total = 8 * GIB  # usable: 8G - 819M
    with pytest.raises(InvalidInput) as e:
        admit_memory("shop", {"web": 20}, sizes, 0, total)
    assert e.value.message == (
        "web=20 refused: it needs 10.0G of memory and 7.2G of this host's 7.2G is free "
        "for shop (each alone, at most: web=14)")
    admit_memory("shop", {"web": 14}, sizes, 0, total)
    with pytest.raises(InvalidInput, match="web=4"):
        admit_memory("shop", {"web": 14}, sizes, 5 * GIB, total)


def test_the_reserve_is_a_tenth_of_the_host_and_at_least_512m():
    assert usable_memory(10 * GIB) == 9 * GIB
    assert usable_memory(1 * GIB) == 512 * MIB
    assert usable_memory(256 * MIB) == 0


def test_resize_arguments_name_known_sizes_only():
    assert parse_resize_args(["web=Standard-2X", "worker=basic"]) == {
        "web": "standard-2x", "worker": "basic"}
    with pytest.raises(InvalidInput, match="unknown size 'huge'"):
        parse_resize_args(["web=huge"])
    with pytest.raises(InvalidInput, match="invalid resize argument"):
        parse_resize_args(["web"])


def test_every_size_bounds_memory_cpu_and_pids_and_only_basic_is_capped():
    for size in SIZES.values():
        assert size.memory >= 512 * MIB and 256 <= size.pids <= 4096
        assert size.cpu_shares == int(size.cpu * 1024)
        assert 0 < size.tmp_bytes < size.memory
    assert [s.name for s in SIZES.values() if s.cpu_quota] == ["basic"]
    assert size_of({}, "web") is DEFAULT and DEFAULT.memory == 512 * MIB
    assert size_of({"web": "gone"}, "web") is DEFAULT


def test_a_rollout_must_fit_the_apps_network():
    # 61 addresses (Docker's /26): web counts twice during a rollout, beside the other
    # types, two add-on kinds, the release phase and five one-offs.
    bounds = ReplicaBounds(network=61, oneoffs=5)
    check_network("shop", {"web": 26}, bounds)  # 52 + 8 = 60
    check_network("shop", {"web": 20, "worker": 13}, bounds)  # 40 + 13 + 8 = 61
    with pytest.raises(InvalidInput, match=r"web=27 refused: a rollout of shop would run "
                                           r"62 containers on its network, which has 61"):
        check_network("shop", {"web": 27}, bounds)
    with pytest.raises(InvalidInput, match="would run 62 containers"):
        check_network("shop", {"web": 20, "worker": 14}, bounds)
    # a formation above it that does not grow (granted before) may still shrink
    check_network("shop", {"web": 28}, bounds, old={"web": 30})
    # no app network (Kubernetes): no such bound
    check_network("shop", {"web": 500}, ReplicaBounds())
