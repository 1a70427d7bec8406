"""Static files from the web tier (whitenoise), cached by browsers and proxies for as long as they can be.

collectstatic (CompressedManifestStaticFilesStorage) names every file after a hash of its content, and
pages link to those names, so a changed file has a new name and a hashed one never changes: it is sent
with `Cache-Control: max-age=31536000, public, immutable` (a year, HTTP/1.1's longest, not whitenoise's
ten), and a browser never asks for it again. A file asked for by its plain name (`/static/css/app.css`)
may change at the next release, so it keeps WHITENOISE_MAX_AGE (60 seconds, whitenoise's default).
"""

from whitenoise.middleware import WhiteNoiseMiddleware

ONE_YEAR = 60 * 60 * 24 * 365


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    FOREVER = ONE_YEAR
