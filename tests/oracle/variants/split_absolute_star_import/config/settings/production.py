from config.settings.base import *  # noqa: F403

SECURE_HSTS_SECONDS = 31536000
SECURE_SSL_REDIRECT = True
