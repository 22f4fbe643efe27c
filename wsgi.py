"""WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`.

Building the app at import is this module's whole job (nothing else in the project does).
FIELDCRM_CONFIG picks the config class; production refuses to boot without SECRET_KEY
and DATABASE_URL.
"""

import os

from fieldcrm import create_app

app = create_app(os.environ.get("FIELDCRM_CONFIG", "config.ProductionConfig"))
