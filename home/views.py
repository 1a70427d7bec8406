from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from home.selectors import home_sections_for


def home(request: HttpRequest) -> HttpResponse:
    sections = home_sections_for(request.user)
    return render(request, "home/home.html", {"sections": sections})
