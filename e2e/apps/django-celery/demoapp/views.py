from django.http import HttpResponse

from demoapp.tasks import add


def index(request):
    return HttpResponse(f"demoapp task={add.name}\n", content_type="text/plain")
