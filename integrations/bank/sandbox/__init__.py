"""The sandbox core bank: SQLite, a double-entry ledger, limits, leads and their routing."""

from integrations.bank.sandbox.context import LimitPolicy, SandboxConfig
from integrations.bank.sandbox.core import SandboxBank

__all__ = ["LimitPolicy", "SandboxBank", "SandboxConfig"]
