"""snapstore: a content-addressed, deduplicating, encrypted snapshot store.

Layers (see docs/design.md): L0 building blocks (`chunker`, ...), L1 `backend`, L2 `pack`/`index`,
L3 `repository`, L4 engines, L5 `cli`. Each layer imports only from the layers below it.
"""

__version__ = "0.1.0"
