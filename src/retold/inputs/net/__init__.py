"""Fetch web pages safely: ``guard`` (SSRF), ``politeness`` and ``robots``, ``fetch`` (one
body), ``pages`` (``fetch_many``, ``read_url``).

Every error is a one-line ``InputError`` ``"<url>: <problem>"`` (``<url>`` as given).

Safety rules, applied to the first request and again to every redirect hop:

- Only ``http``/``https``; no ``user:password@`` in URLs.
- Private-address guard (SSRF): the host is resolved with ``socket.getaddrinfo`` and the
  fetch is refused, before any connection, when *any* address is loopback, private,
  link-local, multicast, reserved, unspecified, not globally routable, or a cloud metadata
  address (169.254.169.254, fd00:ec2::254, ...). IPv4 addresses embedded in IPv6
  (``::ffff:a.b.c.d``, 6to4, NAT64) are checked as IPv4. ``allow_private=True``
  (``--allow-private``) turns the guard off.
- DNS rebinding: the connection goes to the address that was checked. Clients made by
  ``make_client`` use a ``GuardedBackend`` (an httpcore network backend): ``fetch`` pins
  the checked address for the hop in a thread-local before sending (httpx's sync client
  connects in the calling thread), and the backend connects to that IP instead of
  resolving the name again. The URL keeps its host name, so the ``Host`` header, TLS SNI
  and certificate checks are unchanged. A connection the backend makes without a pin
  (someone using the client directly) is resolved and checked by the backend itself.
  Environment proxies are not used (``trust_env=False``): they would bypass the guard.
- Redirects are followed by hand (``fetch_max_redirects``, default 5); a redirect to a
  refused address or scheme is an error naming both URLs.
- Limits: connect/read timeouts and a total deadline per URL (slow-drip servers); the body
  is streamed and refused past ``max_input_bytes`` (``Content-Length`` is checked first);
  gzip/deflate bodies are decompressed here, from the raw stream, with bounded output per
  step, and refused past ``max_input_bytes`` decompressed or past a decompressed/compressed
  ratio of ``fetch_max_decompression_ratio`` (a gzip bomb is stopped after ~1 MB).
- Politeness: a ``retold/<version> (+url; research crawler)`` User-Agent (configurable),
  at most ``fetch_per_host_concurrency`` requests in flight per host and
  ``fetch_host_delay_s`` between request starts to one host (``HostLimiter``).
  ``fetch_many`` (used by ingest for pages, feeds and sitemaps) obeys robots.txt
  (``Robots``, RFC 9309) unless ``fetch_respect_robots`` is off; a single page the user
  names (``read_url``, ``retold compare URL``) is fetched like a browser would, without it.
"""
