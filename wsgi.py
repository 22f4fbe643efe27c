"""WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`.

Building the app at import is this module's whole job (nothing else in the project does).
FIELDCRM_CONFIG picks the config class; production refuses to boot without SECRET_KEY
and DATABASE_URL.

Once the app is built, what exists now (modules, the app, SQLAlchemy's mappers, the
translations: hundreds of thousands of objects that live as long as the worker) is moved
out of the garbage collector's sight with `gc.freeze()`. Python's full collections walk
every tracked object; building 1,000-contact API pages set one off about once in twenty
pages, and walking those objects added 65 ms to such a page (a 1,000-contact
page takes 45 ms otherwise; bench/bench_api.py). Frozen objects are never collected,
which costs nothing for objects that are never garbage.
"""

import gc
import os

from fieldcrm import create_app

app = create_app(os.environ.get("FIELDCRM_CONFIG", "config.ProductionConfig"))
gc.freeze()
