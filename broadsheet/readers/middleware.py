from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth import logout

from broadsheet.readers.operations import check_session_still_open, record_reader_activity


class PresenceMiddleware:
    """Marks a signed-in reader as active; see record_reader_activity for the throttle.
    Also signs out a session its reader ended from another device, and keeps the
    session's "last active" (readers.operations.check_session_still_open).

    Async-capable so that live streams pass through without being buffered.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self._async:
            return self._acall(request)
        self._record(request)
        return self.get_response(request)

    async def _acall(self, request):
        # Through request.user (not auser) so the sync view that follows reuses
        # the reader already loaded instead of querying again.
        await sync_to_async(self._record)(request)
        return await self.get_response(request)

    @staticmethod
    def _record(request) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if not check_session_still_open(request=request, reader=user):
                logout(request)
                return
            record_reader_activity(reader=user)
