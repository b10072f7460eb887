# Gunicorn configuration file.
# https://docs.gunicorn.org/en/stable/configure.html
import os

# On a platform that sets $PORT, listen there on all interfaces.
bind = ["0.0.0.0:" + os.environ.get("PORT", "8000")]

# The number of worker processes: WEB_CONCURRENCY when set, as Heroku sizes it.
workers = int(os.environ.get("WEB_CONCURRENCY", 2))

# Threaded workers, so one slow request does not block a whole worker.
worker_class = "gthread"
threads = 5

# Longer than the router's idle timeout, so kept-alive connections are not cut.
keepalive = 90

# Log requests to stdout.
accesslog = "-"
access_log_format = '%(h)s %(l)s "%(r)s" %(s)s %(b)s %(M)sms'

# Load the app before forking workers.
preload_app = True
