"""The embedded engine behind MongoDB's wire protocol, for tests.

The machines that run the suite have no MongoDB. This serves the same in-memory engine
(mongomock) on a TCP port, speaking OP_MSG and the OP_QUERY handshake, so that:
- several `run.py` processes can share one store (the multi-process Redis test), and
- the whole suite can run through PyMongo's real `AsyncMongoClient`, the production code path
  (`make test` runs it once that way: HYPEE_TEST_MONGO_URI pointing here).

It implements the commands PyMongo issues for what the server does; anything else answers
CommandNotFound. Run it alone with `python -m tests.mongowire PORT`.
"""

from __future__ import annotations

import asyncio
import struct
import sys
from datetime import UTC, datetime
from typing import Any

import bson
import mongomock
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument

_CODEC = CodecOptions(tz_aware=True, tzinfo=UTC)
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
_HEADER = struct.Struct("<iiii")


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


class WireEngine:
    """Executes wire-protocol commands against one mongomock client."""

    def __init__(self) -> None:
        self.client = mongomock.MongoClient(tz_aware=True)
        self.connections = 0

    def run(self, command: dict[str, Any], documents: dict[str, list]) -> dict[str, Any]:
        name = next(iter(command))
        handler = getattr(self, f"cmd_{name.lower()}", None)
        if handler is None:
            return {
                "ok": 0.0,
                "errmsg": f"no such command: '{name}'",
                "code": 59,
                "codeName": "CommandNotFound",
            }
        try:
            reply = handler(command, documents)
        except CommandError as exc:
            return exc.reply
        except mongomock.DuplicateKeyError as exc:
            return {"ok": 0.0, "codeName": "DuplicateKey", **_duplicate(exc)}
        except mongomock.OperationFailure as exc:
            return {"ok": 0.0, "errmsg": str(exc), "code": exc.code or 2}
        return {**reply, "ok": 1.0}

    def _collection(self, command: dict[str, Any]) -> mongomock.Collection:
        return self.client[command["$db"]][next(iter(command.values()))]

    # -- handshake and admin -------------------------------------------------------------

    def cmd_hello(self, command: dict, documents: dict) -> dict:
        return {
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


class WireServer:
    """Serves a WireEngine on 127.0.0.1:`port` (0 picks a free one)."""

    def __init__(self, engine: WireEngine | None = None) -> None:
        self.engine = engine or WireEngine()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
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
                    reply = self._op_msg(body, request_id)
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

    def _op_msg(self, body: bytes, request_id: int) -> bytes:
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
        reply = bson.encode(self.engine.run(command, documents))
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


async def _main(port: int) -> None:
    server = WireServer()
    await server.start(port)
    print(f"listening on {server.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
