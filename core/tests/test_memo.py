"""``core.memo.kept_within``: results kept per process, within a budget whatever the inputs."""

from core.memo import kept_within


def counting(budget: int):
    calls = []

    @kept_within(budget)
    def shout(text: str, *, times: int = 1) -> str:
        calls.append(text)
        return text.upper() * times

    return shout, calls


def test_a_result_is_made_once_per_arguments():
    shout, calls = counting(100_000)
    assert shout("a") == shout("a") == "A"
    assert shout("a", times=2) == "AA"
    assert calls == ["a", "a"]


def test_what_is_kept_stays_within_the_budget_least_recently_used_first():
    shout, calls = counting(50_000)  # about 400 bytes an entry: room for some 120
    for n in range(200):
        shout(f"text {n}")
    assert 40_000 < shout.kept_bytes() <= 50_000
    calls.clear()
    shout("text 199")  # among the last made: kept
    shout("text 0")  # the first made: dropped long ago
    assert calls == ["text 0"]


def test_a_result_too_large_for_the_budget_is_made_every_time():
    shout, calls = counting(100_000)
    large = "\U0001d400" * 1_000  # 4 bytes a character: over 1 % of the budget
    assert shout(large) == shout(large)
    assert len(calls) == 2
    assert shout.kept_bytes() == 0
