"""The SQLite store: the connection, every table's migrations, one module per kind of record."""
