"""The WSGI entry point: the only place an app is created at import time."""

from sasaeai_app import create_app

app = create_app()
