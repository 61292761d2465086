"""Tenant isolation: reseller B never sees or changes reseller A's objects."""
