"""Kata 02 — gather. Run: pytest katas/02_gather"""

import inspect

import pytest

from harness.judge import Budget, assert_ran_concurrently, assert_result, expect, fail, wrote

# Eight dishes that each take 0.1 s: together ≈ 0.1 s, one at a time ≈ 0.8 s.
LATENCY = 0.1
BIG_BREAKFAST = ["coffee", "toast", "eggs", "juice", "bacon", "pancakes", "fruit", "yogurt"]
BUDGET = Budget(ideal=LATENCY, sequential=LATENCY * len(BIG_BREAKFAST))

# Dishes that finish in a different order than they were ordered, 30 ms apart so the
# finishing order holds on a loaded machine.
COOKING_TIMES = {"coffee": 0.09, "toast": 0.03, "eggs": 0.06, "juice": 0.0}


def open_kitchen(service, cooking_times):
    for dish, seconds in cooking_times.items():
        service.route(f"/dishes/{dish}", json={"dish": dish, "ready": True}, latency=seconds)


async def test_a_one_dish_breakfast_is_that_dish(kata, service):
    """The smallest breakfast: one dish in, one dish out."""
    open_kitchen(service, {"coffee": 0.0})
    breakfast = await kata.make_breakfast(service.base_url, ["coffee"])
    assert_result(
        breakfast,
        [{"dish": "coffee", "ready": True}],
        call="await make_breakfast(url, ['coffee'])",
    )


@pytest.mark.workload
async def test_eight_dishes_are_ordered_at_the_same_time(kata, service):
    """Independent requests run together: the total is the longest one, not the sum."""
    open_kitchen(service, dict.fromkeys(BIG_BREAKFAST, LATENCY))
    breakfast = await kata.make_breakfast(service.base_url, BIG_BREAKFAST)
    assert_ran_concurrently(service, budget=BUDGET, expected_requests=len(BIG_BREAKFAST))
    expect(
        len(breakfast) == len(BIG_BREAKFAST),
        f"make_breakfast returned {len(breakfast)} dishes for a menu of {len(BIG_BREAKFAST)}.",
        fix="return one dish per item of `menu`, each as fetch_dish returned it.",
    )


async def test_dishes_come_back_in_menu_order_whatever_finishes_first(kata, service):
    """gather returns results in the order the coroutines were given, not finish order."""
    open_kitchen(service, COOKING_TIMES)
    menu = list(COOKING_TIMES)
    breakfast = await kata.make_breakfast(service.base_url, menu)
    expected = [{"dish": dish, "ready": True} for dish in menu]
    if inspect.isawaitable(breakfast) or not isinstance(breakfast, list):
        assert_result(breakfast, expected, call=f"await make_breakfast(url, {menu!r})")
    got = [dish.get("dish") if isinstance(dish, dict) else dish for dish in breakfast]
    if got == menu:
        return
    why = ""
    if got == sorted(menu, key=COOKING_TIMES.__getitem__):
        why = " They came back in the order they finished" + (
            ": asyncio.as_completed hands them over that way." if wrote(kata, "as_completed") else "."
        )
    elif wrote(kata, "wait"):
        why = " asyncio.wait returns sets of tasks, which keep no order."
    fail(
        f"dishes came back as {got}; expected menu order {menu}.{why}",
        fix="return the results in the order of `menu`: asyncio.gather returns them in the "
        "order you passed the awaitables; with tasks, read each task's result in menu order.",
    )
