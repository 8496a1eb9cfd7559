"""The Content-Security-Policy of the HMI's pages: one policy, and what NiceGUI needs of it.

Every HTML page the HMI serves carries :func:`policy` (the middleware of
:func:`chaufferie.hmi.access.web.security_headers` adds it to each HTML response that has no
policy of its own; the acknowledgement-link pages keep their stricter one). What NiceGUI 3
needs, and why each source is there:

* ``script-src 'self' 'nonce-…'``: NiceGUI's page template has inline scripts (the import
  map, the Vue start-up with the page's elements, its helpers). Each page gets a fresh nonce
  and :func:`add_nonce` puts it on the page's ``<script>`` tags, so no ``'unsafe-inline'``
  is needed and an injected inline handler (``onmouseover=…``) or script does not run. This
  is safe because NiceGUI escapes ``<`` in every piece of data it writes into the page, so
  the only ``<script`` tags are the template's own.
* ``'unsafe-eval'``: Vue compiles the components' templates in the browser, and NiceGUI
  runs its event handlers and ``run_javascript`` with ``eval`` / ``new Function``.
* ``style-src 'self' 'unsafe-inline'``: Quasar and NiceGUI add ``<style>`` elements and
  ``style`` attributes at run time (styles cannot run code).
* ``img-src 'self' data:``, ``font-src 'self' data:``: Quasar's icons and embedded fonts.
* ``connect-src 'self'``: NiceGUI's socket.io (HTTP polling, then a WebSocket to the same
  host and port).
* ``frame-ancestors 'none'``, ``base-uri 'none'``, ``object-src 'none'``,
  ``form-action 'self'``: no framing, no base or plug-in tricks, forms post home only.
"""

from __future__ import annotations

import gzip
import secrets

_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def new_nonce() -> str:
    """A fresh nonce for one page (128 random bits)."""
    return secrets.token_urlsafe(16)


def policy(nonce: str) -> str:
    """The HMI's Content-Security-Policy for a page whose scripts carry ``nonce``."""
    return _POLICY.format(nonce=nonce)


def add_nonce(page: bytes, nonce: str, encoding: str = "") -> bytes:
    """``page`` (HTML from NiceGUI's template) with ``nonce`` on each ``<script`` tag.

    ``encoding`` is the response's ``Content-Encoding``: NiceGUI's own app compresses its
    pages with gzip before the root app's middleware sees them."""
    gzipped = encoding == "gzip"
    html = gzip.decompress(page) if gzipped else page
    html = html.replace(b"<script", b'<script nonce="' + nonce.encode("ascii") + b'"')
    return gzip.compress(html) if gzipped else html
