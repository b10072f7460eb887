import sys

from django.http import HttpResponse
from django.templatetags.static import static


def index(request):
    python = ".".join(str(n) for n in sys.version_info[:2])
    return HttpResponse(f"hello python={python} css={static('hello/site.css')}\n",
                        content_type="text/plain")
