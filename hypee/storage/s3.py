"""S3-compatible storage (AWS S3, MinIO) through boto3, every network call off the event loop."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from config import Settings
from hypee.storage import StoredObject, UploadTarget, content_disposition

log = logging.getLogger("hypee.storage")


def _client(settings: Settings, endpoint: str | None) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},  # MinIO and most S3-compatible servers
            connect_timeout=3,
            read_timeout=10,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    )


class S3Storage:
    """Presigned PUT and GET, HEAD to verify, DELETE, on one bucket."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.region = settings.s3_region
        self.create_bucket = settings.s3_create_bucket
        self.client = _client(settings, settings.s3_endpoint)
        # URLs handed to clients may need another host than the one the server reaches.
        public = settings.s3_public_endpoint
        self.signer = _client(settings, public) if public else self.client
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3")

    async def _run(self, function: Any, /, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, **kwargs))

    async def prepare(self) -> None:
        try:
            await self._run(self.client.head_bucket, Bucket=self.bucket)
        except ClientError as exc:
            if (
                exc.response["Error"]["Code"] not in ("404", "NoSuchBucket")
                or not self.create_bucket
            ):
                raise
            options: dict[str, Any] = {"Bucket": self.bucket}
            if self.region != "us-east-1":
                options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            await self._run(self.client.create_bucket, **options)
            log.info("created bucket", extra={"bucket": self.bucket})

    async def upload_target(
        self, key: str, content_type: str, size: int, seconds: int, base_url: str
    ) -> UploadTarget:
        # The content type is a signed header: the object can only be stored with that type.
        url = await self._run(
            self.signer.generate_presigned_url,
            ClientMethod="put_object",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=seconds,
            HttpMethod="PUT",
        )
        return UploadTarget(url=url, headers={"Content-Type": content_type})

    async def download_url(
        self, key: str, filename: str, content_type: str, seconds: int, base_url: str
    ) -> str:
        return await self._run(  # type: ignore[no-any-return]  # boto3 has no types
            self.signer.generate_presigned_url,
            ClientMethod="get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=seconds,
        )

    async def head(self, key: str) -> StoredObject | None:
        try:
            found = await self._run(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response["ResponseMetadata"].get("HTTPStatusCode") == 404:
                return None
            raise
        return StoredObject(size=found["ContentLength"], content_type=found.get("ContentType", ""))

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._run(
            self.client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
        )

    async def delete(self, key: str) -> None:
        await self._run(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def check(self) -> None:
        await self._run(self.client.head_bucket, Bucket=self.bucket)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
