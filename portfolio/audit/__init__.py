"""An append-only, hash-chained audit trail."""
