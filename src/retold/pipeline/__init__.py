"""The batch pipeline (``retold run``): read inputs, sign, group into families, pick
sources, audit members and write partitioned Parquet tables, on this machine or on a Ray
cluster. The stages are functions of one batch or one keyed group of rows (``records``,
``keys``, ``links``, ``stories``, ``sitetables``); ``local`` and ``ray_driver`` are two
drivers over them; ``api.run_pipeline`` picks one; ``output`` stages and swaps the tables.
"""
