"""Scheduled cloud provisioning: scheduling, its rules and the New service wizard."""
