"""Domain services: the operations that change several documents or have side effects.

Each service is built once per process (server/lifecycle.py) and reached through the
application as `handler.services.<name>`; REST and WebSocket handlers call the same ones.
Events go to sockets from here and nowhere else: models store and query, services publish.
"""
