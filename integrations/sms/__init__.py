"""SMS gateways: outbound messages (`outbound`), and later the inbound webhook."""
