from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from broadsheet.core.limits import limit
from broadsheet.search.forms import SearchForm
from broadsheet.search.queries import query_words, search


@require_GET
@limit(key="ip", setting="BROADSHEET_SEARCHES_PER_MINUTE", period="m", method="GET")
def search_view(request):
    """/search/?q=…: a form, and a page of what this viewer may find."""
    form = SearchForm(request.GET if request.GET else None)
    context = {"form": form, "results": None, "message": ""}
    status = 200
    if form.is_bound:
        if not form.is_valid():
            status = 400
        elif not query_words(form.cleaned_data["q"]):
            context["message"] = _("Type at least one word to search for.")
        else:
            page = search(
                viewer=request.user,
                query=form.cleaned_data["q"],
                filters=form.filters,
                page=form.cleaned_data["page"] or 1,
            )
            context["results"] = page
            if page.has_next:
                following = request.GET.copy()
                following["page"] = str(page.page + 1)
                context["next_query"] = following.urlencode()
            if page.page > 1:
                previous = request.GET.copy()
                previous["page"] = str(page.page - 1)
                context["previous_query"] = previous.urlencode()
    return render(request, "search/results.html", context, status=status)
