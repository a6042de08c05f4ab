from django.conf import settings


def site(request) -> dict:
    return {"SITE_NAME": settings.BROADSHEET_SITE_NAME}
