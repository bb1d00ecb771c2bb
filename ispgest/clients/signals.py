"""Domain events of clients, sent by `clients.services` inside the writing transaction.

Receivers (network, webhooks, ...) connect in their AppConfig.ready(). They run inside the
transaction: anything that talks to the outside world is enqueued with
`transaction.on_commit`, and an exception rolls the change back.
"""

from django.dispatch import Signal

# client=Client, actor
client_created = Signal()
# client=Client, actor, changes={label: [old, new]}
client_updated = Signal()
# client=Client, actor
client_deactivated = Signal()
client_reactivated = Signal()
# client_ids=list[int], actor, data_import=DataImport: the clients an import wrote
clients_imported = Signal()
# client_ids=list[int], actor, data_import=DataImport: the clients an undo deactivated
clients_import_undone = Signal()
# changes={client_id: {label: [old, new]}} (the clients of one chunk that changed),
# deactivated=bool (the status became inactive), actor: a mass update, chunk by chunk
clients_mass_updated = Signal()
