"""ASGI: the static files in front of Django, never becoming Django requests.

(``get_asgi_application()`` alone works too: the middleware serves them under ASGI as well.)
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

from ferrostatic.django import get_static_application

application = get_static_application()
