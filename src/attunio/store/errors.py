class StoreError(Exception):
    """The store cannot be opened or changed as asked; the message says why and what to do."""
