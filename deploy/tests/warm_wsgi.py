"""aiguillage.wsgi's application with every view imported before gunicorn forks (with --preload): the test's two
processes then share one import instead of each making its own at its first request. The app itself is unchanged."""

from django.urls import get_resolver

from aiguillage.wsgi import application

get_resolver().url_patterns  # noqa: B018 (imports the URLconf and, through it, every view module)

__all__ = ["application"]
