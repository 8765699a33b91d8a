"""The embedded engine: SQLite (WAL) as an indexed, durable document store.

It answers the PyMongo-shaped calls the models make (`db[name].find_one(...)`), so that both
stores run the same model code. Documents are BSON blobs; every declared index is a SQLite
table of order-preserving keys, so a query reads only the candidates its best index selects
and evaluates the rest of the filter on those. Writes run on the event loop against one
connection inside a transaction that a background commit (fsync in a worker thread) makes
durable for many writers at once; reads outside a transaction use a second connection and see
only committed data. Nothing returns to a caller before it is committed.
"""
