"""Old import path, kept only for bench/serve.py (``free_port``). The tests import
``tests.support.processes``; delete this file once bench no longer imports from tests/.
"""

from tests.support.processes import free_port

__all__ = ["free_port"]
