"""Domain operations. They flush and never commit; views and jobs own the transaction."""


class DomainError(Exception):
    """A rule of the domain refused the operation; the message is shown to the user."""
