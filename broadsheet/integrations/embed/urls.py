from django.urls import path

from broadsheet.integrations.embed import views

app_name = "embed"

urlpatterns = [
    path("embed.js", views.embed_script, name="script"),
    path("embed/frame/", views.frame, name="frame"),
    path("embed/comments/<slug:slug>/", views.comments, name="comments"),
    path("embed/sign-in/", views.sign_in, name="sign_in"),
    path("embed/signed-in/", views.signed_in, name="signed_in"),
    path("embed/sign-out/", views.sign_out, name="sign_out"),
]
