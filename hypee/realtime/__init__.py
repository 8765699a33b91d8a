"""Real time: the hub of local sockets, the Redis bridge between processes, presence."""
