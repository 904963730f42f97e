"""The unread planner: batch by id where that cannot cost more than history calls."""

from __future__ import annotations

from mctltg.telegram.on_loop.unread import next_batch, plan_batched, span_size


def test_dense_recent_ranges_are_all_batched() -> None:
    spans = [(480 + k, 500) for k in range(20)]  # 20 chats, unread ids all in the last 20
    assert plan_batched(spans, known=set()) == 20


def test_sparse_ranges_fall_back_to_history_calls() -> None:
    spans = [(k * 1000, k * 1000 + 900) for k in range(5)]  # 4,500 ids for 5 chats
    assert plan_batched(spans, known=set()) == 0


def test_only_the_cheap_prefix_is_batched_when_one_chat_reaches_far_back() -> None:
    spans = [(950, 1000), (960, 1000), (970, 1000), (10, 1000)]
    assert plan_batched(spans, known=set()) == 3  # 1 batch + 1 history beats 10 batches


def test_known_ids_do_not_count_and_are_never_fetched() -> None:
    assert span_size([(0, 10), (5, 15)], known={3, 15, 99}) == 13
    assert next_batch([(0, 10), (20, 25)], known={24, 9}, floor=26, size=6) == [25, 23, 22, 21, 10, 8]
    assert next_batch([(0, 10)], known=set(), floor=4) == [3, 2, 1]
