"""The number crunching for kata 09, given: nothing to edit here.

`primes_below` is pure Python, so it holds the GIL the whole time it runs. It lives in
its own module (not in kata.py) because a process pool sends a function to a worker
process by name: the worker must be able to import it.
"""

import math


def primes_below(limit: int) -> int:
    """How many prime numbers are smaller than `limit`, the slow way: CPU-heavy on purpose.

    primes_below(10) -> 4   (2, 3, 5 and 7)
    """
    return sum(1 for n in range(2, limit) if all(n % d for d in range(2, math.isqrt(n) + 1)))
