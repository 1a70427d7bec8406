from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedHttpRequest
from home.selectors import break_glass_reviews_waiting, home_sections_for


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    sections = home_sections_for(request.user)
    context = {"sections": sections, "break_glass_waiting": break_glass_reviews_waiting(request.user)}
    return render(request, "home/home.html", context)
