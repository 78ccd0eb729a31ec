"""``wallet relay``: publishes the events outbox (``wallet.events``) to RabbitMQ.

Everything is in :mod:`app.relay.publisher`; its AMQP client (aio-pika) is the ``relay`` extra.
It imports only the shared modules of :mod:`app`, never the service or the simulator.
"""
