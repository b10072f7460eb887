import pytest

from paas.runtime.docker.metrics import cpu_percent_of


def _stats(total, pre_total, system, pre_system, online=2):
    return {
        "cpu_stats": {"cpu_usage": {"total_usage": total}, "system_cpu_usage": system,
                      "online_cpus": online},
        "precpu_stats": {"cpu_usage": {"total_usage": pre_total},
                         "system_cpu_usage": pre_system},
    }


def test_percent_of_one_core_as_docker_stats_computes_it():
    # half of the system's time on a 2-CPU machine = one full core
    assert cpu_percent_of(_stats(1500, 1000, 2000, 1000)) == pytest.approx(100.0)
    assert cpu_percent_of(_stats(1100, 1000, 2000, 1000)) == pytest.approx(20.0)


def test_no_earlier_sample_means_unknown():
    assert cpu_percent_of(_stats(1500, 0, 2000, 2000)) is None
    assert cpu_percent_of({"cpu_stats": {}, "precpu_stats": {}}) is None
    assert cpu_percent_of({}) is None
