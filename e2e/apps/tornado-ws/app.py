import asyncio

import tornado.web
import tornado.websocket
from tornado.options import define, options, parse_command_line

define("port", default=8888, type=int)


class Main(tornado.web.RequestHandler):
    def get(self):
        self.write(f"tornado remote_ip={self.request.remote_ip}\n")


class Slow(tornado.web.RequestHandler):
    async def get(self):
        await asyncio.sleep(0.1)
        self.write("slept 100ms\n")


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(f"echo: {message}")


async def main():
    parse_command_line()
    app = tornado.web.Application([(r"/", Main), (r"/slow", Slow), (r"/ws", Echo)])
    app.listen(options.port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
