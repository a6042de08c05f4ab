from broadsheet.translation.providers import translation_enabled


def translation(request) -> dict:
    """Whether pages offer "Show translation" (a service is configured): the same
    for every reader, so a shared signed-out page may carry it."""
    return {"translation_enabled": translation_enabled()}
