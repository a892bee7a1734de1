"""Tweet ids: unique, increasing, convertible to and from times, and unique across processes
because each process leases a node number of its own."""

import os
from datetime import UTC, datetime

import pytest
from django.db import connection

from core.ids import SnowflakeGenerator, id_datetime, id_floor
from core.models import NodeLease
from core.nodes import holder_name, node_lease, node_release


def fixed_node(holder, renew):
    return 7, float("inf")


def test_ids_increase_strictly_even_within_one_millisecond():
    generator = SnowflakeGenerator(lease=fixed_node)
    ids = [generator.next_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_fit_in_a_signed_64_bit_integer():
    assert 0 < SnowflakeGenerator(lease=fixed_node).next_id() < 2**63


def test_id_time_round_trips_to_the_millisecond():
    moment = datetime(2026, 11, 24, 1, 2, 3, 456000, tzinfo=UTC)
    floor = id_floor(moment)
    assert id_datetime(floor) == moment
    assert id_datetime(floor + 12345) == moment
    assert id_floor(moment.replace(microsecond=457000)) > floor + 12345


def test_an_expired_lease_is_not_renewed_but_replaced():
    leases = iter([(3, 0.0), (4, float("inf"))])
    generator = SnowflakeGenerator(lease=lambda holder, renew: next(leases))
    first = generator.next_id()
    second = generator.next_id()
    assert (first >> 12) & 1023 == 3
    assert (second >> 12) & 1023 == 4


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="leases from separate processes need PostgreSQL"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_live_leases_never_share_a_node_and_a_released_one_is_free_again():
    holders = [holder_name() for _ in range(20)]
    nodes = [node_lease(holder)[0] for holder in holders]
    assert len(set(nodes)) == len(nodes)
    assert node_lease(holders[0], renew=nodes[0])[0] == nodes[0]
    node_release(holders[0], nodes[0])
    assert not NodeLease.objects.filter(node=nodes[0]).exists()
    # A lease that expired and went to another process cannot be renewed: a new node it is.
    NodeLease.objects.filter(node=nodes[1]).update(holder="another process")
    assert node_lease(holders[1], renew=nodes[1])[0] not in nodes[1:]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_forked_processes_never_make_the_same_id(tmp_path, monkeypatch):
    """Like gunicorn's workers: forked from one parent, with the same environment."""
    monkeypatch.setenv("MINITTER_NODE_ID", "5")  # once honoured by every worker alike
    generator = SnowflakeGenerator()
    generator.next_id()  # the parent has a node too; children must not inherit it
    children = []
    for n in range(4):
        pid = os.fork()
        if pid == 0:  # the child: its own connection, never the parent's
            status = 1
            try:
                ids = [generator.next_id() for _ in range(100_000)]
                (tmp_path / f"{n}.txt").write_text("\n".join(map(str, ids)))
                status = 0
            finally:
                os._exit(status)
        children.append(pid)
    for pid in children:
        assert os.waitpid(pid, 0)[1] == 0
    ids = [int(line) for n in range(4) for line in (tmp_path / f"{n}.txt").read_text().split()]
    assert len(ids) == 400_000
    assert len(set(ids)) == len(ids)
    assert len({(i >> 12) & 1023 for i in ids}) == 4
