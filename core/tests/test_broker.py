"""The broker transport (core/broker.py) against a real ``redis-server``: a worker's connection,
dropped while Redis is down the way Celery drops it, closes without error, and the message the
worker had taken but not acknowledged is delivered again once Redis is back."""

import time
from contextlib import suppress

import pytest
import redis
from kombu import Connection, Consumer, Exchange, Producer, Queue

from core.broker import RedisTransport
from core.testing import RedisServer
from minitter.celery import app

pytestmark = pytest.mark.skipif(not RedisServer.installed(), reason="redis-server is not installed")

OURS = "redis"  # the scheme, as broker URLs name it (core.broker.install)
KOMBUS_OWN = "kombu.transport.redis:Transport"
VISIBILITY_TIMEOUT = 1


def connect(server: RedisServer, transport: str) -> Connection:
    return Connection(
        server.url,
        transport=transport,
        transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    )


def drain(connection: Connection, until, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        connection.default_channel.qos.restore_visible()
        with suppress(TimeoutError):
            connection.drain_events(timeout=0.3)


def consumed(connection: Connection) -> list:
    """The first message delivered from the tasks queue on ``connection`` (acknowledged), which
    is closed then."""
    delivered = []
    Consumer(
        connection.default_channel,
        [Queue("tasks", routing_key="tasks")],
        callbacks=[lambda body, m: (delivered.append(body), m.ack())],
    ).consume()
    drain(connection, until=lambda: delivered)
    connection.close()
    return delivered


def a_worker_connection_dropped_while_redis_is_down(server: RedisServer, transport: str):
    """A worker's connection as Celery has it when Redis stops: the task channel holds a message it
    has not acknowledged and has a BRPOP in flight; the remote-control channel listens on a fanout
    queue. Redis stops, and the connection is dropped as Celery's consumer drops it. Returns what
    the final close raised, if anything."""
    connection = connect(server, transport)
    tasks = Queue("tasks", routing_key="tasks")
    Producer(connection.default_channel).publish({"n": 1}, routing_key="tasks", declare=[tasks])
    taken = []
    Consumer(
        connection.default_channel, [tasks], callbacks=[lambda body, m: taken.append(m)]
    ).consume()
    control = Queue("control", Exchange("control", type="fanout"), auto_delete=True)
    Consumer(connection.channel(), [control], callbacks=[lambda body, m: None]).consume()
    drain(connection, until=lambda: taken)
    assert len(taken) == 1
    for _ in range(20):  # until nothing more comes: a BRPOP is then left in flight
        try:
            connection.drain_events(timeout=0.3)
        except TimeoutError:
            break
    assert connection.default_channel._in_poll

    server.stop()
    connection.collect(socket_timeout=5)
    try:
        connection.close()
    except Exception as error:  # what the worker would die of
        return error
    return None


def test_a_connection_dropped_while_redis_is_down_closes_and_the_taken_message_comes_back(tmp_path):
    server = RedisServer(tmp_path, persistent=True).start()
    try:
        assert a_worker_connection_dropped_while_redis_is_down(server, OURS) is None

        server.start()
        assert consumed(connect(server, OURS)) == [{"n": 1}]
    finally:
        server.stop()


def test_kombus_own_redis_channel_still_fails_there(tmp_path):
    """The reason for core/broker.py. When this fails, kombu closes the channel itself: remove
    core/broker.py and its ``install()`` in minitter/celery.py."""
    server = RedisServer(tmp_path, persistent=True).start()
    try:
        error = a_worker_connection_dropped_while_redis_is_down(server, KOMBUS_OWN)
    finally:
        server.stop()
    assert isinstance(error, AttributeError)


def test_the_apps_redis_brokers_use_the_fixed_transport_and_rediss_keeps_tls():
    plain = app.connection_for_write("redis://127.0.0.1:6399/1")
    secure = app.connection_for_write("rediss://127.0.0.1:6399/1")
    assert isinstance(plain.transport, RedisTransport)
    assert isinstance(secure.transport, RedisTransport)
    assert not plain.ssl
    assert secure.ssl  # kombu turns TLS on for the rediss scheme
    assert secure.as_uri().startswith("rediss://")


def a_broker_stepping_down_under_a_worker(server: RedisServer, transport: str) -> list:
    """A worker's connection with a ``BRPOP`` in flight when its server becomes a replica, and
    the next one, to the still read-only server: what draining each raised."""
    raw = redis.Redis(host="127.0.0.1", port=server.port)
    raised = []
    try:
        for step in ("in flight", "reconnected"):
            connection = connect(server, transport)
            try:
                tasks = Queue("tasks", routing_key="tasks")
                consumer = Consumer(connection.default_channel, [tasks], callbacks=[])
                consumer.consume()  # declares the queue: a write
                with suppress(TimeoutError):
                    connection.drain_events(timeout=0.3)
                if step == "in flight":
                    assert connection.default_channel._in_poll
                    raw.replicaof("127.0.0.1", "1")  # a replica of nothing: it refuses writes
                connection.drain_events(timeout=5)
            except Exception as error:
                raised.append((error, connection.connection_errors))
            with suppress(Exception):
                connection.collect()
    finally:
        raw.replicaof("NO", "ONE")
        raw.close()
    return raised


def test_a_broker_stepping_down_is_a_connection_error_and_a_worker_carries_on(tmp_path):
    """Celery reconnects on a connection error; any other ends the worker."""
    server = RedisServer(tmp_path).start()
    try:
        raised = a_broker_stepping_down_under_a_worker(server, OURS)
        assert len(raised) == 2
        for error, connection_errors in raised:
            assert isinstance(error, connection_errors), error

        again = connect(server, OURS)  # the server takes writes again
        tasks = Queue("tasks", routing_key="tasks")
        Producer(again.default_channel).publish({"n": 2}, routing_key="tasks", declare=[tasks])
        assert consumed(again) == [{"n": 2}]
    finally:
        server.stop()


def test_kombus_own_transport_still_ends_the_worker_there(tmp_path):
    """When this fails, kombu counts these replies as connection errors itself: drop
    ``RedisChannel._brpop_read`` and ``RedisTransport.connection_errors``."""
    server = RedisServer(tmp_path).start()
    try:
        raised = a_broker_stepping_down_under_a_worker(server, KOMBUS_OWN)
    finally:
        server.stop()
    assert raised and not any(isinstance(error, errors) for error, errors in raised)
