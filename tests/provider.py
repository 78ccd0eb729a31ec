"""Old import path, kept only for bench/ (``from tests import provider as p`` in bench_sql,
bench_http, bench_tokens and bench_outbox). The tests import ``tests.support.provider``; delete
this file once bench no longer imports from tests/.
"""

from tests.support.provider import (
    Answer,
    call,
    commit,
    lost,
    make,
    selection,
    settlement,
    win,
)

__all__ = ["Answer", "call", "commit", "lost", "make", "selection", "settlement", "win"]
