"""Uploads to the local backend stream to disk: memory does not grow with the file."""

from __future__ import annotations

import hashlib
import os

import pytest
from tornado.httpclient import HTTPRequest

from tests.helpers import open_direct
from tests.processes import ServerProcess

pytestmark = pytest.mark.slow

MIB = 1024 * 1024


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


async def test_20_mib_upload_and_download_keep_memory_flat(tmp_path):
    server = await ServerProcess(
        tmp_path / "server.log", HYPEE_DATA_DIR=str(tmp_path / "data")
    ).start()
    try:
        api = server.client
        alice, bob = await api.register(), await api.register()
        cid = (await open_direct(api, alice, bob))["id"]
        chunk = os.urandom(64 * 1024)

        async def transfer(size: int) -> tuple[str, str]:
            ticket = (
                await api.post(
                    "/api/uploads/",
                    {"filename": "big.pdf", "content_type": "application/pdf", "size": size},
                    token=alice.access,
                )
            ).json
            digest = hashlib.sha256()

            async def body(write):
                sent = 0
                while sent < size:
                    piece = chunk[: size - sent]
                    digest.update(piece)
                    await write(piece)
                    sent += len(piece)

            request = HTTPRequest(
                ticket["url"],
                method="PUT",
                headers={**ticket["headers"], "Content-Length": str(size)},
                body_producer=body,
                request_timeout=120,
            )
            response = await api.http.fetch(request)
            assert response.code == 200
            return ticket["upload_id"], digest.hexdigest()

        async def fetch(upload_id: str) -> str:
            message = {"client_id": upload_id, "body": "big file", "attachments": [upload_id]}
            sent = await api.post(
                f"/api/conversations/{cid}/messages/", message, token=alice.access
            )
            assert sent.status == 201, sent
            redirect = await api.get(f"/api/attachments/{upload_id}", token=bob.access)
            digest = hashlib.sha256()
            request = HTTPRequest(
                redirect.headers["Location"], streaming_callback=digest.update, request_timeout=120
            )
            await api.http.fetch(request)
            return digest.hexdigest()

        # Warm up every code path once, so only the big transfer can move the peak.
        small_id, small_digest = await transfer(3 * MIB)
        assert await fetch(small_id) == small_digest
        before = peak_rss(server.process.pid)
        big_id, big_digest = await transfer(20 * MIB)
        after_upload = peak_rss(server.process.pid)
        assert await fetch(big_id) == big_digest
        after_download = peak_rss(server.process.pid)
        print(
            f"peak RSS before {before / MIB:.1f} MiB, after 20 MiB upload {after_upload / MIB:.1f} "
            f"MiB, after download {after_download / MIB:.1f} MiB"
        )
        assert after_upload - before < 5 * MIB
        assert after_download - before < 5 * MIB
    finally:
        server.kill()
