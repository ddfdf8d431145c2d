"""Reading articles: files, stdin, raw text, folders, tables, feeds, WARC and the web in;
clean, checked ``Article`` out. ``retold.read_article`` and ``retold.ingest`` are the entry
points."""
