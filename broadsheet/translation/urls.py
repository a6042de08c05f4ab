from django.urls import path

from broadsheet.translation import views

app_name = "translation"

urlpatterns = [
    path(
        "articles/<slug:slug>/comments/<int:number>/translation/",
        views.comment_translation,
        name="comment_translation",
    ),
]
