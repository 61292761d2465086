"""Imports: scheduled provisioning runs and CSV uploads of accounts (one engine to come)."""
