"""The few S3 calls the test harness makes against its MinIO server (make a bucket, list and read keys), signed with
AWS Signature Version 4 over plain HTTP on loopback. Pulumi itself talks to the server with its own S3 client."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import urllib.parse
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
S3_XML_NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class S3Error(RuntimeError):
    """The server answered a request with an error status."""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class S3Client:
    """Path-style requests to ``http://127.0.0.1:PORT`` with one access key."""

    port: int
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def buckets(self) -> list[str]:
        """ListBuckets: it answers once the server serves S3 requests (its health checks answer earlier)."""
        root = ElementTree.fromstring(self._request("GET", "/"))
        return [element.text or "" for element in root.iter(f"{S3_XML_NAMESPACE}Name")]

    def create_bucket(self, bucket: str) -> None:
        self._request("PUT", f"/{bucket}")

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (one page: the harness's buckets are small)."""
        body = self._request("GET", f"/{bucket}", {"list-type": "2", "prefix": prefix})
        root = ElementTree.fromstring(body)
        return [element.text or "" for element in root.iter(f"{S3_XML_NAMESPACE}Key")]

    def get(self, bucket: str, key: str) -> bytes:
        return self._request("GET", f"/{bucket}/{urllib.parse.quote(key)}")

    def _request(self, method: str, path: str, query: dict[str, str] | None = None) -> bytes:
        now = datetime.datetime.now(datetime.UTC)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        host = f"127.0.0.1:{self.port}"
        canonical_query = "&".join(
            f"{urllib.parse.quote(name, safe='-_.~')}={urllib.parse.quote(value, safe='-_.~')}"
            for name, value in sorted((query or {}).items())
        )
        headers = {"host": host, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": amz_date}
        signed_headers = ";".join(sorted(headers))
        canonical_request = "\n".join([
            method, path, canonical_query,
            *(f"{name}:{headers[name]}" for name in sorted(headers)), "",
            signed_headers, EMPTY_SHA256,
        ])
        scope = f"{day}/{self.region}/s3/aws4_request"
        string_to_sign = "\n".join([
            "AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest(),
        ])
        key = _hmac(_hmac(_hmac(_hmac(f"AWS4{self.secret_key}".encode(), day), self.region), "s3"), "aws4_request")
        signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, SignedHeaders={signed_headers}, "
            f"Signature={signature}"
        )
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, f"{path}?{canonical_query}" if canonical_query else path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status >= 300:
            raise S3Error(f"{method} {path} answered {response.status}: {body[:300]!r}")
        return body
