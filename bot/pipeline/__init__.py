"""The one outbound pipeline: producers enqueue on the `SaqOutbox`, one `Sender` delivers.

`outbox` holds the queues (one saq queue per Priority) and the clock-driven index of
messages not due yet; `sender` talks to Telegram (and SMS); `delivery` takes jobs off the
queues, urgent ones first, and settles each (sent, retried later, or a dead letter).
"""
