from django.db import connection
from django.http import HttpResponse

from .models import Greeting


def index(request):
    return HttpResponse("Hello from a getting-started shaped app\n")


def db(request):
    """Every visit records a greeting; the page counts them."""
    Greeting.objects.create()
    return HttpResponse(f"{Greeting.objects.count()} greetings in {connection.vendor}\n")
