"""Writers of tables and figures to files; no Flask, usable from a notebook."""
