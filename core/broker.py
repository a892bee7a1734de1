"""kombu's Redis transport, with a channel that still closes when the broker has gone away.

When Redis stops, a worker drops its broken connection in two steps: ``Connection.collect()``
closes the channels and detaches the transport, then ``Connection.close()`` closes the default
channel again. kombu's Redis channel first reads the reply of the ``BRPOP`` it has in flight,
which raises a connection error when the broker is gone; the channel is then left open. If another
channel's close also fails (the remote-control channel's, deleting its fanout queue), nothing closes
it before the transport is detached, and the second close, now giving back unacknowledged
messages, finds no connection details: ``AttributeError`` ends the worker ("Unrecoverable error")
instead of reconnecting (kombu 5.7.0).

Here the ``BRPOP`` reply is read as before; when there is no connection to read it from, the
channel closes all the same. Its unacknowledged messages stay in Redis's unacknowledged set and go
back to the queue after the visibility timeout, as for a worker that was killed.

A server that stops being the primary (a fail-over: it becomes a replica) answers the ``BRPOP``
in flight with ``UNBLOCKED`` and every write after with ``READONLY``, replies kombu counts among
channel errors, which also end the worker. Here both are connection errors: the worker drops the
connection and makes it again, with Celery's back-off, until a server takes writes.

``install()`` (called by minitter/celery.py) makes kombu's ``redis`` and ``rediss`` schemes use
it, so that everything else kombu derives from the scheme stays as it was: TLS for ``rediss://``,
fail-over URLs, the broker's address in the logs. ``core/tests/test_broker.py`` reproduces the
failure with a real server.
"""

import logging
from queue import Empty

import kombu.transport
from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, ResponseError

logger = logging.getLogger(__name__)

SCHEMES = ("redis", "rediss")


class RedisChannel(redis.Channel):
    def close(self):
        """Read the reply of the ``BRPOP`` in flight as kombu does, unless the connection is gone:
        then close without it."""
        if self._in_poll and not self.closed:
            try:
                self._brpop_read()
            except Empty:
                pass
            except self.connection_errors as error:
                logger.warning("closing a broker channel whose connection is gone: %r", error)
        super().close()

    def _brpop_read(self, **options):
        """kombu's, with ``UNBLOCKED`` (the server became a replica under the ``BRPOP`` in
        flight) a connection error."""
        try:
            return super()._brpop_read(**options)
        except ResponseError as error:
            if not str(error).startswith("UNBLOCKED"):
                raise
            self.client.connection.disconnect()
            raise RedisConnectionError(f"the broker stopped being the primary: {error}") from error


class RedisTransport(redis.Transport):
    """kombu's Redis transport with ``RedisChannel``, and a server refusing writes (a replica)
    among the connection errors."""

    Channel = RedisChannel
    connection_errors = (*redis.Transport.connection_errors, ReadOnlyError)


def install() -> None:
    """Make kombu resolve the ``redis`` and ``rediss`` schemes to ``RedisTransport``."""
    for scheme in SCHEMES:
        kombu.transport.TRANSPORT_ALIASES[scheme] = f"{__name__}:RedisTransport"
        # kombu caches each scheme's class once resolved; drop one resolved before this ran.
        kombu.transport._transport_cache.pop(scheme, None)
