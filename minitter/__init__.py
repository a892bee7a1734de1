"""minitter: a mini-Twitter REST API (project wiring: settings, URLs, WSGI)."""
