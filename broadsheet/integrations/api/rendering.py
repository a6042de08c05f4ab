"""JSON out: one encoder for answers and problems."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from ninja.renderers import BaseRenderer


def dump_json(data: Any) -> str:
    # allow_nan=False: an answer never carries NaN, which JSON does not have.
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, allow_nan=False)


class JSONRenderer(BaseRenderer):
    media_type = "application/json"
    charset = "utf-8"

    def render(self, request, data, *, response_status: int) -> str:
        return dump_json(data)
