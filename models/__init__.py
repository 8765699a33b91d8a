"""One module per aggregate: its schemas, its MongoDB access and its rules."""
