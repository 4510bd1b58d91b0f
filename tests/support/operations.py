"""The shared operations in graphql/operations/, loaded by name (the file name)."""

from backend.api.drill.transport import OPERATIONS, operation

__all__ = ["OPERATIONS", "operation"]
