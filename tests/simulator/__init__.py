"""``wallet simulate`` against a real ``wallet serve``, and its referee."""
