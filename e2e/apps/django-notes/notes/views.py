from django.db import connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from notes.models import Note


def index(request):
    return HttpResponse(f"notes on {connection.vendor}\n")


@csrf_exempt
def notes(request):
    """POST text=... adds a note; GET lists them, one a line."""
    if request.method == "POST":
        Note.objects.create(text=request.POST["text"])
    return HttpResponse("".join(f"{n.text}\n" for n in Note.objects.order_by("id")))


@csrf_exempt
def delete(request):
    Note.objects.all().delete()
    return HttpResponse("deleted\n")
