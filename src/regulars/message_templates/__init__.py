"""Message templates: the wording of every automated message, per kind and language.

Importing the package registers its renderer with the outbox (every process that loads the
schema, the worker included, so has it)."""

from regulars.message_templates import outbox as _outbox  # noqa: F401
