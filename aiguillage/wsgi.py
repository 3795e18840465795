import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiguillage.settings.prod")
application = get_wsgi_application()

from aiguillage.warmup import warm_up  # noqa: E402 (Django is set up above)

warm_up()  # at the worker's start, not in its first users' calls
