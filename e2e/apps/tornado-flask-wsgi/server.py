"""A Flask app served by Tornado's HTTP server, as the classic deployment guides teach."""

from flask import Flask
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.wsgi import WSGIContainer

app = Flask(__name__)


@app.route("/")
def index():
    return "flask under tornado\n"


http_server = HTTPServer(WSGIContainer(app))
http_server.listen(80)
IOLoop.current().start()
