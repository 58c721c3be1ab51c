"""A Router that is cheap to pass by.

aiogram hands every update to each router in turn, and each router that does not want it
still wraps middlewares and copies the whole context (every service in workflow_data) three
times before its root filter says no. With a dozen feature routers that was a third of the
time per update. This router asks its root filters first and steps aside at once.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject


class FeatureRouter(Router):
    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        observer = self.observers.get(update_type)
        if (
            observer is not None
            and observer._handler.filters  # root filters
            and not observer.outer_middleware
            and not self.sub_routers
        ):
            passed, _data = await observer.check_root_filters(event, **kwargs)
            if not passed:
                return UNHANDLED
        return await super().propagate_event(update_type, event, **kwargs)
