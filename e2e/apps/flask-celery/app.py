"""A Flask app with celery workers on the platform's Redis add-on.

``/`` answers with the container's host name, so a client can count the web replicas
behind nginx; ``/enqueue`` queues tasks a worker runs; ``/task/<id>`` reports them.
"""

import os
import socket
import time

from celery import Celery
from flask import Flask, jsonify, request

broker = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")
celery = Celery("app", broker=broker, backend=os.environ.get("REDIS_URL", broker))
# One task at a time per worker process, acknowledged when done: a worker holds at most
# one reserved task, and the rest of the backlog stays visible in the queue.
celery.conf.update(
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    broker_connection_retry_on_startup=True,
)


@celery.task(name="work")
def work(seconds: float) -> str:
    time.sleep(seconds)
    return socket.gethostname()


app = Flask(__name__)


@app.get("/")
def index() -> str:
    return socket.gethostname() + "\n"


@app.post("/enqueue")
def enqueue():
    n = int(request.args.get("n", "1"))
    seconds = float(request.args.get("seconds", "0"))
    return jsonify([work.delay(seconds).id for _ in range(n)])


@app.get("/task/<task_id>")
def task(task_id: str):
    result = celery.AsyncResult(task_id)
    return jsonify(state=result.state, result=result.result if result.ready() else None)
