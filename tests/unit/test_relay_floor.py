"""subscriptions.relay.Floor: which ids the events relay's next round looks above."""

from __future__ import annotations

from subscriptions.relay import Floor


def test_the_first_round_and_one_every_interval_look_at_everything() -> None:
    floor = Floor(full_every=2.0, lag=1.0)
    assert floor.for_round(100.0) == 0
    floor.announced(100.0, 500)
    assert floor.for_round(101.5) == 500
    assert floor.for_round(101.9) == 500
    assert floor.for_round(102.0) == 0  # two seconds since the last full round
    assert floor.for_round(102.1) == 500


def test_rounds_look_above_what_was_announced_a_lag_ago_not_above_the_newest() -> None:
    floor = Floor(full_every=60.0, lag=1.0)
    assert floor.for_round(0.0) == 0
    floor.announced(0.2, 100)
    floor.announced(0.6, 300)
    floor.announced(1.1, 900)
    assert floor.for_round(1.15) == 0  # nothing was announced a second ago yet
    # a commit that drew its id before 900 and lands now is still above the floor
    assert floor.for_round(1.25) == 100
    assert floor.for_round(1.7) == 300
    assert floor.for_round(2.2) == 900


def test_the_floor_never_sinks_when_rounds_announce_out_of_order() -> None:
    floor = Floor(full_every=60.0, lag=0.5)
    floor.for_round(0.0)
    floor.announced(0.1, 800)
    floor.announced(0.2, 650)  # the other process claimed the rows between
    assert floor.for_round(1.0) == 800
    floor.announced(1.0, 700)
    assert floor.for_round(2.0) == 800
