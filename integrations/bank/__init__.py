"""The bank behind one Protocol (`protocol.BankAdapter`): the embedded sandbox core
(`sandbox/`), the HTTP adapter for a bank that serves the REST API (`http_adapter`), the
REST server and its OpenAPI document (`rest_server`, `rest_api`), and `factory`."""

from integrations.bank.protocol import BankAdapter

__all__ = ["BankAdapter"]
