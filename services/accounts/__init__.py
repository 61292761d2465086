"""Users, resellers, their teams, passwords, two-factor login and impersonation."""
