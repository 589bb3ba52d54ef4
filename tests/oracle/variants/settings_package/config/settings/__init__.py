from .base import *  # noqa: F403
from .security import *  # noqa: F403

MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # noqa: F405
