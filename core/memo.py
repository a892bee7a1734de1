"""Results of pure functions kept per process within a memory budget (``kept_within``): the
least recently used go first, and a result too large for the budget is made every time, so
what is kept stays bounded whatever the inputs (a crafted text cannot fill a worker's memory).
"""

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

# No single result takes more than this share of its budget.
LARGEST_SHARE = 0.01


def _size(value) -> int:
    if isinstance(value, tuple):
        return sys.getsizeof(value) + sum(_size(part) for part in value)
    return sys.getsizeof(value)


def kept_within(budget_bytes: int) -> Callable:
    """Decorate a pure function of hashable arguments (strings, tuples of them) whose results
    are strings: each process keeps the results it made last, their arguments and them within
    ``budget_bytes`` (``sys.getsizeof``)."""

    def decorate(function: Callable) -> Callable:
        kept: OrderedDict = OrderedDict()
        sizes: dict = {}
        lock = threading.Lock()
        used = 0

        @wraps(function)
        def memoized(*args, **kwargs):
            nonlocal used
            key = (args, tuple(sorted(kwargs.items())))
            with lock:
                if key in kept:
                    kept.move_to_end(key)
                    return kept[key]
            result = function(*args, **kwargs)
            size = _size(key) + _size(result)
            if size > budget_bytes * LARGEST_SHARE:
                return result
            with lock:
                if key not in kept:
                    kept[key], sizes[key] = result, size
                    used += size
                    while used > budget_bytes:
                        oldest, _ = kept.popitem(last=False)
                        used -= sizes.pop(oldest)
            return result

        memoized.kept_bytes = lambda: used  # what is kept now, as lru_cache's cache_info tells
        return memoized

    return decorate
