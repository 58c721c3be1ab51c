"""The outside world behind Protocols: the bank (`bank/`) and SMS gateways (`sms/`)."""
