from attunio.store.db import Store, create_key_file, read_key
from attunio.store.errors import StoreError

__all__ = ["Store", "StoreError", "create_key_file", "read_key"]
