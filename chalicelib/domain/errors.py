"""Domain errors. The web layer maps each kind to one HTTP status, in one place."""


class DomainError(Exception):
    """Base class for errors the domain raises on purpose."""


class NotFound(DomainError):
    pass


class IllegalTransition(DomainError):
    """The state machine does not allow this action from the current status."""


class ConcurrentModification(DomainError):
    """Another writer changed the complaint first (optimistic lock lost)."""


class InvalidCommand(DomainError):
    """A command is well-formed but makes no sense for this complaint."""

    def __init__(self, message: str, field: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.field = field
        self.fields = fields  # several fields at once: name -> what is wrong with it


class NotDelivered(DomainError):
    """A message to the customer was not sent, so the action that carried it was not recorded. `transient`: the
    provider may accept it later (retrying the same request is safe); otherwise it never will as it stands."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient
