from attunio.store.change_watch import ChangeWatch
from attunio.store.db import Store, create_key_file, read_key
from attunio.store.errors import StoreError, StoreUnavailable
from attunio.store.group_commit import GroupCommit

__all__ = ["ChangeWatch", "GroupCommit", "Store", "StoreError", "StoreUnavailable", "create_key_file", "read_key"]
