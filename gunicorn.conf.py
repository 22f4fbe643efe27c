"""gunicorn settings for FieldCRM (`make serve`); every value can be set from the environment.

Threaded workers (gthread): each of WEB_CONCURRENCY processes serves GUNICORN_THREADS
requests at once. A slow client (a phone on a bad connection, an upload at 1 KB/s, a
connection that never finishes its body) holds one thread, never a whole worker: the
worker's main loop keeps accepting and its heartbeat keeps going, so the worker is not
killed in the middle of someone's upload. Connections that send nothing wait in the main
loop's poller, not in a thread; a body that stalls or crawls gets a 408 from the app
(fieldcrm.lib.slowbody). Threads rather than an async worker: the app and its database
drivers are blocking code, and a thread per request needs no monkey-patching.

Workers are separate processes, each with its own database pool: SQLite (WAL, busy
timeout) copes with a few; PostgreSQL is the path for many. Keep `preload_app` off so no
connection is shared across a fork.
"""

import json
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(8, multiprocessing.cpu_count() + 1)))
threads = max(2, int(os.environ.get("GUNICORN_THREADS", "8")))
worker_class = "gthread"
# Connections a worker holds at once (in threads, waiting in its poller, kept alive).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "200"))
# A worker whose main loop stops for this long is restarted (a request may take longer:
# it runs in a thread and does not stop the loop).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
preload_app = False
# X-Forwarded-Proto is honoured from these addresses only (the app's own ProxyFix
# handles client addresses, from PROXY_COUNT proxies).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
limit_request_fields = 100

errorlog = "-"
# gunicorn's own error log (what escapes the app) with the app's log rule: tracebacks
# without exception messages, request targets without query strings.
logger_class = "fieldcrm.gunicorn_logging.GunicornLogger"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# One JSON object per request, with the request id the app set; no query strings
# (they can hold names and phone numbers).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = json.dumps(
    {
        "time": "%(t)s",
        "remote_addr": "%(h)s",
        "method": "%(m)s",
        "path": "%(U)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "duration_ms": "%(M)s",
        "request_id": "%({x-request-id}o)s",
        "user_agent": "%(a)s",
    }
)
