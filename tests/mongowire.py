"""MongoDB's wire protocol in front of mongomock, for tests: the stand-in for a MongoDB server.

The machines that run the suite have no MongoDB. This serves mongomock (an in-memory Python
imitation of MongoDB's query language; not Hypee's embedded SQLite engine) on a TCP port,
speaking OP_MSG and the OP_QUERY handshake, so that:
- several `run.py` processes can share one store (the multi-process Redis test), and
- the whole suite can run through PyMongo's real `AsyncMongoClient`, the production code path
  (`make test` runs it once that way: HYPEE_TEST_MONGO_URI pointing here).

It implements the commands PyMongo issues for what the server does; anything else answers
CommandNotFound. With `--replica-set` it says it is the primary of a one-member replica set and
runs multi-document transactions: a session's transaction works on the live data while every
other session waits for it to end (serializable, if slow), and an abort puts back the snapshot
of each database it touched; a transaction left idle for TRANSACTION_IDLE_SECONDS is aborted.
`configureFailPoint` with `failCommand` (as MongoDB's test servers have) makes chosen commands
fail, to cut a unit of work between two writes. Run it alone with
`python -m tests.mongowire PORT [--replica-set]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import struct
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import bson
import mongomock
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument

_CODEC = CodecOptions(tz_aware=True, tzinfo=UTC)
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
_HEADER = struct.Struct("<iiii")
TRANSACTION_IDLE_SECONDS = 10.0
REPLICA_SET = "rs0"


class CommandError(Exception):
    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.reply = {"ok": 0.0, "errmsg": message, "code": code, **extra}


def _duplicate(exc: mongomock.DuplicateKeyError) -> dict[str, Any]:
    details = getattr(exc, "details", None) or {}
    return {
        "code": 11000,
        "errmsg": f"E11000 duplicate key error: {exc}",
        "keyPattern": details.get("keyPattern", {}),
        "keyValue": details.get("keyValue", {}),
    }


def _is_update(change: Any) -> bool:
    """An update document ({"$set": ...}) or pipeline ([...]), not a replacement."""
    return isinstance(change, list) or any(key.startswith("$") for key in change)


_ABSENT = object()


@dataclass
class Transaction:
    """The open transaction: whose it is, and the documents it wrote as they were before
    (an undo log: `_ABSENT` for a document it created)."""

    session: bytes
    number: int
    before: dict[tuple[str, str, Any], Any] = field(default_factory=dict)
    touched: float = field(default_factory=time.monotonic)

    def remember(self, store: Any, where: tuple[str, str], ids: list[Any]) -> None:
        """Keep the first version this transaction saw of each document of `ids`."""
        for document_id in ids:
            key = (*where, document_id)
            if key not in self.before:
                found = store._documents.get(document_id, _ABSENT)
                self.before[key] = found if found is _ABSENT else copy.deepcopy(found)


class WireEngine:
    """Executes wire-protocol commands against one mongomock client."""

    def __init__(self, replica_set: bool = False) -> None:
        self.client = mongomock.MongoClient(tz_aware=True)
        self.connections = 0
        self.replica_set = replica_set
        self.address = "127.0.0.1:0"
        self.transaction: Transaction | None = None
        self.committed: tuple[bytes, int] | None = None  # the last one (commit is retried)
        self.fail_points: list[dict[str, Any]] = []

    def may_run(self, command: dict[str, Any]) -> bool:
        """False while another session's transaction is open (the command waits for it)."""
        open_one = self.transaction
        if open_one is None or not _session_of(command):
            return True  # no transaction, or no session at all (hello, monitoring)
        if time.monotonic() - open_one.touched > TRANSACTION_IDLE_SECONDS:
            self._abort()  # abandoned (its client died): as MongoDB's transaction lifetime
            return True
        return _session_of(command) == open_one.session

    def run(self, command: dict[str, Any], documents: dict[str, list]) -> dict[str, Any]:
        name = next(iter(command))
        failed = self._fail_point(name.lower(), command)
        if failed is not None:
            return failed
        refused = self._join_transaction(command)
        if refused is not None:
            return refused
        handler = getattr(self, f"cmd_{name.lower()}", None)
        if handler is None:
            return {
                "ok": 0.0,
                "errmsg": f"no such command: '{name}'",
                "code": 59,
                "codeName": "CommandNotFound",
            }
        logged = name.lower() in ("insert", "update", "delete", "findandmodify")
        try:
            if logged:
                self._log_write(name.lower(), command, documents, {})
            reply = handler(command, documents)
            if logged:
                self._log_write(name.lower(), command, documents, reply)
        except CommandError as exc:
            return exc.reply
        except mongomock.DuplicateKeyError as exc:
            return {"ok": 0.0, "codeName": "DuplicateKey", **_duplicate(exc)}
        except mongomock.OperationFailure as exc:
            return {"ok": 0.0, "errmsg": str(exc), "code": exc.code or 2}
        return {**reply, "ok": 1.0}

    # -- sessions and transactions -----------------------------------------------------------

    def _join_transaction(self, command: dict[str, Any]) -> dict[str, Any] | None:
        """Start or continue the command's transaction; an error reply when it cannot."""
        number = command.get("txnNumber")
        if number is None or command.get("autocommit", True):
            return None
        if not self.replica_set:
            return {
                "ok": 0.0,
                "code": 20,
                "codeName": "IllegalOperation",
                "errmsg": "Transaction numbers are only allowed on a replica set member or mongos",
            }
        session = _session_of(command)
        name = next(iter(command)).lower()
        if command.get("startTransaction"):
            self.transaction = Transaction(session, number)
        elif name in ("committransaction", "aborttransaction"):
            return None
        open_one = self.transaction
        if open_one is None or (open_one.session, open_one.number) != (session, number):
            return {
                "ok": 0.0,
                "code": 251,
                "codeName": "NoSuchTransaction",
                "errmsg": "Transaction has been aborted.",
                "errorLabels": ["TransientTransactionError"],
            }
        open_one.touched = time.monotonic()
        return None

    def _written_ids(self, name: str, command: dict[str, Any], documents: dict) -> list[Any]:
        """The ids of the documents a write command may change (or create, for inserts)."""
        collection = self._collection(command)
        if name == "insert":
            return [d["_id"] for d in documents.get("documents") or command.get("documents", [])]
        specs = {
            "update": [s["q"] for s in documents.get("updates") or command.get("updates", [])],
            "delete": [s["q"] for s in documents.get("deletes") or command.get("deletes", [])],
            "findandmodify": [command.get("query") or {}],
        }.get(name, [])
        return [d["_id"] for query in specs for d in collection.find(query, {"_id": 1})]

    def _log_write(self, name: str, command: dict, documents: dict, reply: dict) -> None:
        """Before a write in a transaction: the undo log of what it may change; after it, of
        what it upserted."""
        open_one = self.transaction
        if open_one is None or command.get("txnNumber") is None:
            return
        where = (command["$db"], command[next(iter(command))])
        store = self.client._store[where[0]][where[1]]
        if not reply:
            open_one.remember(store, where, self._written_ids(name, command, documents))
            return
        created = [u["_id"] for u in reply.get("upserted", [])]
        upserted = (reply.get("lastErrorObject") or {}).get("upserted")
        open_one.remember(store, where, [*created, *([upserted] if upserted else [])])

    def cmd_committransaction(self, command: dict, documents: dict) -> dict:
        key = (_session_of(command), command.get("txnNumber"))
        if (
            self.transaction is not None
            and (
                self.transaction.session,
                self.transaction.number,
            )
            == key
        ):
            self.committed = key
            self.transaction = None
            return {}
        if self.committed == key:
            return {}  # a retried commit of one that committed
        raise CommandError(251, "Transaction has been aborted.", codeName="NoSuchTransaction")

    def cmd_aborttransaction(self, command: dict, documents: dict) -> dict:
        if self.transaction is not None and self.transaction.session == _session_of(command):
            self._abort()
        return {}

    def _abort(self) -> None:
        assert self.transaction is not None
        for (database, collection, document_id), before in self.transaction.before.items():
            documents = self.client._store[database][collection]._documents
            if before is _ABSENT:
                documents.pop(document_id, None)
            else:
                documents[document_id] = before
        self.transaction = None

    # -- fail points ---------------------------------------------------------------------

    def cmd_configurefailpoint(self, command: dict, documents: dict) -> dict:
        """`{configureFailPoint: "failCommand", mode: {times: n} | "off", data: {failCommands:
        [...], errorCode?, errorLabels?, namespace?}}`: the next n matching commands fail."""
        mode = command.get("mode")
        if mode == "off":
            self.fail_points.clear()
        else:
            self.fail_points.append({"times": mode["times"], **command["data"]})
        return {}

    def _fail_point(self, name: str, command: dict[str, Any]) -> dict[str, Any] | None:
        for point in self.fail_points:
            names = [n.lower() for n in point.get("failCommands", [])]
            namespace = f"{command.get('$db')}.{command.get(next(iter(command)))}"
            if name in names and point.get("namespace", namespace) == namespace:
                point["times"] -= 1
                if point["times"] <= 0:
                    self.fail_points.remove(point)
                failure = {"ok": 0.0, "code": point.get("errorCode", 2)}
                if point.get("errorLabels"):
                    failure["errorLabels"] = point["errorLabels"]
                return {**failure, "errmsg": "failpoint: failCommand"}
        return None

    def _collection(self, command: dict[str, Any]) -> mongomock.Collection:
        return self.client[command["$db"]][next(iter(command.values()))]

    # -- handshake and admin -------------------------------------------------------------

    def cmd_hello(self, command: dict, documents: dict) -> dict:
        members = (
            {"setName": REPLICA_SET, "hosts": [self.address], "me": self.address, "setVersion": 1}
            if self.replica_set
            else {}
        )
        return {
            **members,
            "logicalSessionTimeoutMinutes": 30,
            "helloOk": True,
            "ismaster": True,
            "isWritablePrimary": True,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": 48_000_000,
            "maxWriteBatchSize": 100_000,
            "localTime": datetime.now(UTC),
            "connectionId": self.connections,
            "minWireVersion": 0,
            "maxWireVersion": 21,
            "readOnly": False,
        }

    cmd_ismaster = cmd_hello

    def cmd_ping(self, command: dict, documents: dict) -> dict:
        return {}

    def cmd_buildinfo(self, command: dict, documents: dict) -> dict:
        return {"version": "7.0.0", "versionArray": [7, 0, 0, 0]}

    def cmd_endsessions(self, command: dict, documents: dict) -> dict:
        return {}

    def cmd_dropdatabase(self, command: dict, documents: dict) -> dict:
        self.client.drop_database(command["$db"])
        return {}

    def cmd_drop(self, command: dict, documents: dict) -> dict:
        self._collection(command).drop()
        return {}

    def cmd_listcollections(self, command: dict, documents: dict) -> dict:
        names = self.client[command["$db"]].list_collection_names()
        batch = [{"name": name, "type": "collection"} for name in names]
        return {
            "cursor": {"id": 0, "ns": f"{command['$db']}.$cmd.listCollections", "firstBatch": batch}
        }

    def cmd_createindexes(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        for index in command["indexes"]:
            options = {k: v for k, v in index.items() if k not in ("key", "v")}
            collection.create_index(list(index["key"].items()), **options)
        return {"numIndexesAfter": len(collection.index_information())}

    def cmd_listindexes(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        batch = [
            {
                "name": name,
                **{k: v for k, v in info.items() if k != "key"},
                "key": dict(info["key"]),
            }
            for name, info in collection.index_information().items()
        ]
        return {
            "cursor": {"id": 0, "ns": f"{command['$db']}.{collection.name}", "firstBatch": batch}
        }

    # -- reads ---------------------------------------------------------------------------

    def cmd_find(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        cursor = collection.find(command.get("filter") or {}, command.get("projection"))
        if command.get("sort"):
            cursor = cursor.sort(list(command["sort"].items()))
        if command.get("skip"):
            cursor = cursor.skip(command["skip"])
        if command.get("limit"):
            cursor = cursor.limit(abs(command["limit"]))
        return {
            "cursor": {
                "id": 0,
                "ns": f"{command['$db']}.{collection.name}",
                "firstBatch": list(cursor),
            }
        }

    def cmd_aggregate(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        batch = list(collection.aggregate(command["pipeline"]))
        return {
            "cursor": {"id": 0, "ns": f"{command['$db']}.{collection.name}", "firstBatch": batch}
        }

    def cmd_distinct(self, command: dict, documents: dict) -> dict:
        return {"values": self._collection(command).distinct(command["key"], command.get("query"))}

    def cmd_count(self, command: dict, documents: dict) -> dict:
        return {"n": self._collection(command).count_documents(command.get("query") or {})}

    def cmd_killcursors(self, command: dict, documents: dict) -> dict:
        return {"cursorsKilled": command.get("cursors", [])}

    # -- writes --------------------------------------------------------------------------

    def cmd_insert(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        inserted, errors = 0, []
        for index, document in enumerate(
            documents.get("documents") or command.get("documents", [])
        ):
            try:
                collection.insert_one(document)
                inserted += 1
            except mongomock.DuplicateKeyError as exc:
                errors.append({"index": index, **_duplicate(exc)})
                if command.get("ordered", True):
                    break
        return {"n": inserted, **({"writeErrors": errors} if errors else {})}

    def cmd_update(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        matched = modified = 0
        upserted, errors = [], []
        for index, spec in enumerate(documents.get("updates") or command.get("updates", [])):
            query, change, upsert = spec["q"], spec["u"], spec.get("upsert", False)
            try:
                if not _is_update(change):
                    result = collection.replace_one(query, change, upsert=upsert)
                elif spec.get("multi"):
                    result = collection.update_many(query, change, upsert=upsert)
                else:
                    result = collection.update_one(query, change, upsert=upsert)
            except mongomock.DuplicateKeyError as exc:
                errors.append({"index": index, **_duplicate(exc)})
                if command.get("ordered", True):
                    break
                continue
            matched += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                upserted.append({"index": index, "_id": result.upserted_id})
        reply: dict[str, Any] = {"n": matched + len(upserted), "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        if errors:
            reply["writeErrors"] = errors
        return reply

    def cmd_delete(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        deleted = 0
        for spec in documents.get("deletes") or command.get("deletes", []):
            if spec.get("limit") == 1:
                deleted += collection.delete_one(spec["q"]).deleted_count
            else:
                deleted += collection.delete_many(spec["q"]).deleted_count
        return {"n": deleted}

    def cmd_findandmodify(self, command: dict, documents: dict) -> dict:
        collection = self._collection(command)
        query = command.get("query") or {}
        options = {
            "projection": command.get("fields"),
            "sort": list((command.get("sort") or {}).items()) or None,
        }
        if command.get("remove"):
            value = collection.find_one_and_delete(query, **options)
            return {"lastErrorObject": {"n": int(value is not None)}, "value": value}
        change = command["update"]
        existed = collection.count_documents(query, limit=1) > 0
        returned = ReturnDocument.AFTER if command.get("new") else ReturnDocument.BEFORE
        upsert = command.get("upsert", False)
        if _is_update(change):
            value = collection.find_one_and_update(
                query, change, upsert=upsert, return_document=returned, **options
            )
        else:
            value = collection.find_one_and_replace(
                query, change, upsert=upsert, return_document=returned, **options
            )
        last = {"n": int(existed or upsert), "updatedExisting": existed}
        if upsert and not existed:
            last["upserted"] = (value or collection.find_one(query, {"_id": 1}) or {}).get("_id")
        return {"lastErrorObject": last, "value": value}


def _session_of(command: dict[str, Any]) -> bytes:
    return bytes((command.get("lsid") or {}).get("id", b""))


class WireServer:
    """Serves a WireEngine on 127.0.0.1:`port` (0 picks a free one)."""

    def __init__(self, engine: WireEngine | None = None) -> None:
        self.engine = engine or WireEngine()
        self.server: asyncio.Server | None = None
        self.port = 0
        self.transaction_ended = asyncio.Condition()

    async def start(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        self.engine.address = f"127.0.0.1:{self.port}"
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.engine.connections += 1
        try:
            while True:
                header = await reader.readexactly(16)
                length, request_id, _, opcode = _HEADER.unpack(header)
                body = await reader.readexactly(length - 16)
                if opcode == OP_MSG:
                    reply = await self._op_msg(body, request_id)
                elif opcode == OP_QUERY:
                    reply = self._op_query(body, request_id)
                else:
                    return
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _op_msg(self, body: bytes, request_id: int) -> bytes:
        flags = struct.unpack_from("<I", body)[0]
        end = len(body) - (4 if flags & 1 else 0)
        position, command, documents = 4, {}, {}
        while position < end:
            kind = body[position]
            position += 1
            if kind == 0:
                size = struct.unpack_from("<i", body, position)[0]
                command = bson.decode(body[position : position + size], _CODEC)
                position += size
            else:
                size = struct.unpack_from("<i", body, position)[0]
                section = body[position + 4 : position + size]
                identifier, _, payload = section.partition(b"\x00")
                documents[identifier.decode()] = bson.decode_all(payload, _CODEC)
                position += size
        async with self.transaction_ended:
            while not self.engine.may_run(command):
                # Another session's transaction is open: wait for it (or for it to go idle).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.transaction_ended.wait(), 1.0)
            was_open = self.engine.transaction is not None
            result = self.engine.run(command, documents)
            if was_open and self.engine.transaction is None:
                self.transaction_ended.notify_all()
        reply = bson.encode(result)
        message = struct.pack("<I", 0) + b"\x00" + reply
        return _HEADER.pack(16 + len(message), request_id + 1, request_id, OP_MSG) + message

    def _op_query(self, body: bytes, request_id: int) -> bytes:
        namespace_end = body.index(b"\x00", 4)
        position = namespace_end + 1 + 8
        size = struct.unpack_from("<i", body, position)[0]
        query = bson.decode(body[position : position + size], _CODEC)
        namespace = body[4:namespace_end].decode()
        command = {**query, "$db": namespace.split(".")[0]}
        reply = bson.encode(self.engine.run(command, {}))
        message = struct.pack("<iqii", 0, 0, 0, 1) + reply
        return _HEADER.pack(16 + len(message), request_id + 1, request_id, OP_REPLY) + message


async def _main(port: int, replica_set: bool) -> None:
    server = WireServer(WireEngine(replica_set=replica_set))
    await server.start(port)
    print(f"listening on {server.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(_main(int(arguments[0]) if arguments else 0, "--replica-set" in sys.argv))
