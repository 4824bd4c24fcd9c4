from datetime import UTC, datetime

from consultation.clock import as_utc, describe_london, london_wall_time, now


def test_now_is_aware_utc(freeze):
    freeze(datetime(2017, 10, 6, 16, 29, 59, tzinfo=UTC))
    assert now() == datetime(2017, 10, 6, 16, 29, 59, tzinfo=UTC)
    assert now().tzinfo is UTC


def test_london_wall_time_uses_bst_in_summer_and_gmt_in_winter():
    assert london_wall_time(2017, 10, 6, 17, 30) == datetime(2017, 10, 6, 16, 30, tzinfo=UTC)
    assert london_wall_time(2017, 12, 6, 17, 30) == datetime(2017, 12, 6, 17, 30, tzinfo=UTC)


def test_deadline_reads_as_residents_expect():
    assert describe_london(london_wall_time(2017, 10, 6, 17, 30)) == "17:30 on Friday 6 October 2017"


def test_naive_values_are_taken_as_utc():
    assert as_utc(datetime(2020, 1, 1, 12, 0)) == datetime(2020, 1, 1, 12, 0, tzinfo=UTC)
