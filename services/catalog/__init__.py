"""The catalog: browsing it (resellers) and managing it (staff)."""
