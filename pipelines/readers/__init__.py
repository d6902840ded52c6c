"""Source readers: plain Python, no Dagster inside; each takes paths and yields Arrow batches.

A reader module exposes:
- ``KIND``: the source kind (``export_csv``, ``dsn``, ``fec``...), also the prefix of its raw tables;
- ``TABLES``: ``{raw table name: pyarrow schema}`` (lineage columns are added by the loader);
- ``discover(folder) -> list[Path]``: the files of that source found in a folder, in load order;
- ``read(path, context) -> Iterator[RawRows | Reject]``: streamed rows and rejected lines.
A file that cannot be read at all raises ``SourceFileError`` (French reason, file, line).
"""
