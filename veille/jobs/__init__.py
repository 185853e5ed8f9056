"""The jobs: the order of calls, nothing else.

Each job loads what it needs through the storage interface, calls pure decisions in ``veille.core`` and
adapters, and stores the result: ``fetch`` (feeds → items), ``process`` (embed, group stories, tag formats,
follow themes), ``digest`` (build, preview, send), ``site`` (the static site), ``stats``, ``evaluate``
and ``discover`` (a website's feeds). ``daily`` runs fetch → process → digest → site in order; it is the
only job that calls other jobs.
"""
