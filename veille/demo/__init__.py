"""The demo: the built-in corpus (``corpus``) and ``veille demo`` on its loopback feed and SMTP servers (``run``)."""
