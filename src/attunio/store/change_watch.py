"""Per-worker caches that stay exactly as current as a read: valid until the store changes."""

from __future__ import annotations

from attunio.store.db import Store


class ChangeWatch:
    """Tells a cache whether anything it may hold could have changed since it last asked.

    `unchanged()` compares `Store.change_token()` (one `PRAGMA data_version` per event-loop turn,
    shared by every cache and request of that turn); on `False` the cache drops what it holds and
    reads again. The token is taken before that read, so a commit
    that lands during it is seen by the next call and never masked.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._token: tuple[int, int] | None = None

    def unchanged(self) -> bool:
        token = self.store.change_token()
        if token == self._token:
            return True
        self._token = token
        return False
