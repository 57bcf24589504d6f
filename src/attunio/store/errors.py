from attunio.refusals import NotSetUp


class StoreError(NotSetUp):
    """The store cannot be opened or changed as asked; the message says why and what to do."""
