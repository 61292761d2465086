"""E-mail: the outbox, address checks and the secrets inside messages."""
