from django.http import HttpResponse
from django.templatetags.static import static


def index(request):
    return HttpResponse(f"django css={static('pages/app.css')}\n", content_type="text/plain")
