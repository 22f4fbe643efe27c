"""The field app: the installable, offline-first shell for door work (lists, queue, sync)."""
