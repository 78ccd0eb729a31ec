"""``wallet relay``: the outbox to RabbitMQ, in each player's order, through faults."""
