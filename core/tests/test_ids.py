"""Tweet ids: unique, increasing, and convertible to and from times."""

from datetime import UTC, datetime

from core.ids import SnowflakeGenerator, id_datetime, id_floor


def test_ids_increase_strictly_even_within_one_millisecond():
    generator = SnowflakeGenerator()
    ids = [generator.next_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_fit_in_a_signed_64_bit_integer():
    assert 0 < SnowflakeGenerator().next_id() < 2**63


def test_id_time_round_trips_to_the_millisecond():
    moment = datetime(2026, 11, 24, 1, 2, 3, 456000, tzinfo=UTC)
    floor = id_floor(moment)
    assert id_datetime(floor) == moment
    assert id_datetime(floor + 12345) == moment
    assert id_floor(moment.replace(microsecond=457000)) > floor + 12345
