"""Kata 02 — gather. Run: pytest katas/02_gather"""

import pytest

from harness.judge import Budget, assert_ran_concurrently

# Eight dishes that each take 0.1 s: together ≈ 0.1 s, one at a time ≈ 0.8 s.
LATENCY = 0.1
BIG_BREAKFAST = ["coffee", "toast", "eggs", "juice", "bacon", "pancakes", "fruit", "yogurt"]
BUDGET = Budget(ideal=LATENCY, sequential=LATENCY * len(BIG_BREAKFAST))

# Dishes that finish in a different order than they were ordered.
COOKING_TIMES = {"coffee": 0.06, "toast": 0.01, "eggs": 0.04, "juice": 0.0}


def open_kitchen(service, cooking_times):
    for dish, seconds in cooking_times.items():
        service.route(f"/dishes/{dish}", json={"dish": dish, "ready": True}, latency=seconds)


async def test_a_one_dish_breakfast_is_that_dish(kata, service):
    """The smallest breakfast: one dish in, one dish out."""
    open_kitchen(service, {"coffee": 0.0})
    breakfast = await kata.make_breakfast(service.base_url, ["coffee"])
    assert breakfast == [{"dish": "coffee", "ready": True}], (
        f"make_breakfast(url, ['coffee']) returned {breakfast!r}; expected the one dish "
        "as the kitchen sent it"
    )


@pytest.mark.workload
async def test_eight_dishes_are_ordered_at_the_same_time(kata, service):
    """Independent requests run together: the total is the longest one, not the sum."""
    open_kitchen(service, dict.fromkeys(BIG_BREAKFAST, LATENCY))
    breakfast = await kata.make_breakfast(service.base_url, BIG_BREAKFAST)
    assert_ran_concurrently(service, budget=BUDGET, expected_requests=len(BIG_BREAKFAST))
    assert len(breakfast) == len(BIG_BREAKFAST), (
        f"make_breakfast returned {len(breakfast)} dishes for a menu of {len(BIG_BREAKFAST)}"
    )


async def test_dishes_come_back_in_menu_order_whatever_finishes_first(kata, service):
    """gather returns results in the order the coroutines were given, not finish order."""
    open_kitchen(service, COOKING_TIMES)
    menu = list(COOKING_TIMES)
    breakfast = await kata.make_breakfast(service.base_url, menu)
    got = [dish.get("dish") for dish in breakfast]
    finished = sorted(menu, key=COOKING_TIMES.__getitem__)
    assert got == menu, (
        f"dishes came back as {got}; expected menu order {menu}."
        + (" They came back in the order they finished." if got == finished else "")
    )
