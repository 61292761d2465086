"""Fault drills: real worker and scheduler processes, a private Redis, the SMTP server going away.

Each drill ends with the same two checks: nothing lost, nothing done twice.
"""
