from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedHttpRequest
from home.selectors import home_sections_for


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    sections = home_sections_for(request.user)
    return render(request, "home/home.html", {"sections": sections})
