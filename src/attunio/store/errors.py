from attunio.refusals import NotSetUp


class StoreError(NotSetUp):
    """The store cannot be opened or changed as asked; the message says why and what to do."""


class StoreUnavailable(StoreError):
    """The database cannot be reached right now (PostgreSQL restarting, a failover): answered 503;
    the next request tries again on a fresh connection."""
