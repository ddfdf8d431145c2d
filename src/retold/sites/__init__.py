"""Who retells whom: per-site profiles, the copy network and a content-farm score.

``read`` turns the store (families, audits, dates) into ``Observation`` rows; ``profile``,
``score``, ``timing`` and ``network`` work on observations only; ``run.analyze_sites``
ties them together; ``export`` and ``plots`` write tables and pictures.
"""
