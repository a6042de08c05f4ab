from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from broadsheet.readers.operations import check_session_still_open, record_reader_activity
from broadsheet.readers.second_factor import has_second_factor, second_step_missing


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


class StaffSecondStepMiddleware:
    """Staff whose session has not passed the second step (BROADSHEET_STAFF_MFA is
    "required") hold no staff powers: the admin and the moderation pages send them
    to set up a second factor or to prove one, and `moderation.access.is_moderator`
    says no (the flag set here), so no other door acts on their role either.

    Checked on every request because a staff session can begin at more doors than
    our sign-in form (the admin's own sign-in, single sign-on); costs nothing for
    readers, whose flags are already loaded.
    """

    sync_capable = True
    async_capable = True
    GATED_PREFIXES = ("/admin/", "/moderation/")
    OPEN_PATHS = ("/admin/login/", "/admin/logout/")

    def __init__(self, get_response):
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self._async:
            return self._acall(request)
        return self._check(request) or self.get_response(request)

    async def _acall(self, request):
        refusal = await sync_to_async(self._check)(request)
        return refusal or await self.get_response(request)

    @classmethod
    def _check(cls, request):
        if not second_step_missing(request):
            return None
        request.user.second_step_missing = True
        path = request.path_info
        if not path.startswith(cls.GATED_PREFIXES) or path in cls.OPEN_PATHS:
            return None
        query = urlencode({"next": request.get_full_path()})
        if has_second_factor(request.user):
            return redirect(f"{reverse('readers:second_step')}?{query}")
        messages.warning(
            request,
            _(
                "Staff accounts need a second factor: add a passkey or an authenticator "
                "app before you moderate or open the admin."
            ),
        )
        return redirect(f"{reverse('readers:two_factor')}?{query}")
