from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.decorators import sync_and_async_middleware
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, able to sit in an async middleware chain.

    WhiteNoise's middleware is synchronous only; one synchronous middleware makes
    Django buffer every response through a thread, which would hold a live
    (Server-Sent Events) stream forever. This serves static files exactly as
    WhiteNoise does and passes everything else straight on.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        super().__init__(get_response)
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self._async:
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request):
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self._serve_whole, thread_sensitive=False)(
                static_file, request
            )
        return await self.get_response(request)

    def _serve_whole(self, static_file, request):
        """Serve the file as one body: our static files are small, and a sync file
        iterator would make Django's ASGI handler warn on every request."""
        response = self.serve(static_file, request)
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)
            response.close()
            whole = HttpResponse(body, status=response.status_code)
            for header, value in response.items():
                whole[header] = value
            return whole
        return response


def _mark_private(request, response) -> None:
    if settings.SESSION_COOKIE_NAME in request.COOKIES or (
        settings.SESSION_COOKIE_NAME in response.cookies
    ):
        # Say so explicitly: a proxy or CDN in front must never keep a page that
        # was made for one signed-in reader (their name, CSRF token, held comments).
        patch_cache_control(response, private=True)


@sync_and_async_middleware
def private_pages_middleware(get_response):
    """`Cache-Control: private` on every response to a request with a session."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            response = await get_response(request)
            _mark_private(request, response)
            return response

    else:

        def middleware(request):
            response = get_response(request)
            _mark_private(request, response)
            return response

    return middleware
