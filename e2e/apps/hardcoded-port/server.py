"""A server that ignores $PORT: it listens on a port written in the code."""

from http.server import BaseHTTPRequestHandler, HTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello\n")


print("serving on port 8000", flush=True)
HTTPServer(("0.0.0.0", 8000), Hello).serve_forever()
