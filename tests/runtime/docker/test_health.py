from paas.runtime.docker.health import POLL, wait_until


class FakeClock:
    def __init__(self, step=0.25):
        self.now = 100.0
        self.step = step  # a binary-exact step keeps the fake time exact
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += self.step


def _sequence(*values):
    it = iter(values)
    return lambda: next(it)


def test_passes_at_once():
    clock = FakeClock()
    assert wait_until(lambda: True, lambda: True, 5, clock, clock.sleep) is None
    assert clock.sleeps == []


def test_passes_after_polling():
    clock = FakeClock()
    check = _sequence(False, False, True)
    assert wait_until(check, lambda: True, 5, clock, clock.sleep) is None
    assert clock.sleeps == [POLL, POLL]


def test_exited():
    clock = FakeClock()
    running = _sequence(True, False)
    assert wait_until(lambda: False, running, 5, clock, clock.sleep) == "exited"
    assert clock.sleeps == [POLL]


def test_check_passing_wins_over_exit():
    clock = FakeClock()
    assert wait_until(lambda: True, lambda: False, 5, clock, clock.sleep) is None


def test_timed_out():
    clock = FakeClock()
    assert wait_until(lambda: False, lambda: True, 1.0, clock, clock.sleep) == "timed out"
    # Checks at 100.0, .25, .5, .75 and 101.0; the deadline is 101.0.
    assert clock.now == 101.0
    assert clock.sleeps == [POLL] * 4


def test_zero_timeout_still_checks_once():
    clock = FakeClock()
    calls = []

    def check():
        calls.append(1)
        return False

    assert wait_until(check, lambda: True, 0, clock, clock.sleep) == "timed out"
    assert calls == [1]
    assert clock.sleeps == []


def test_whether_it_runs_is_asked_less_often_than_it_is_probed_and_at_the_deadline():
    clock = FakeClock(step=0.0625)
    looks = []
    checks = []

    def running():
        looks.append(clock.now)
        return True

    def check():
        checks.append(clock.now)
        return False

    assert wait_until(check, running, 1.0, clock, clock.sleep, alive_every=0.25) == \
        "timed out"
    assert len(checks) == 17
    assert looks == [100.0, 100.25, 100.5, 100.75, 101.0]


def test_an_exit_found_at_the_deadline_is_an_exit():
    clock = FakeClock(step=0.0625)
    running = iter([True, False])
    assert wait_until(lambda: False, lambda: next(running), 0.125, clock, clock.sleep,
                      alive_every=10) == "exited"
