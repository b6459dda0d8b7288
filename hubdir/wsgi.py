import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubdir.settings")
application = get_wsgi_application()

# Imported once the apps are loaded: the first visitors after a start find the facet index made
# (hubdir/warm_up.py).
from hubdir.warm_up import warm_up_in_background  # noqa: E402

warm_up_in_background()
