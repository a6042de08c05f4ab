from broadsheet.readers.operations import record_reader_activity


class PresenceMiddleware:
    """Marks a signed-in reader as active; see record_reader_activity for the throttle."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            record_reader_activity(reader=user)
        return self.get_response(request)
