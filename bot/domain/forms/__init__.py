"""Forms as data and the pure engine that walks them (no aiogram, no I/O).

A `Form` is questions in sections over a pydantic model of answers; the `FormEngine` takes
a `Filled` (the answers and where the user is) and one input and gives the next `Filled`, or
raises `Invalid` (a wrong answer: say why, ask again) or `NotOffered` (a button that does not
fit where the user is). What a form looks like is for the views, how updates reach it for
the handlers.
"""
