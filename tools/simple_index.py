"""Read a Python package index the way installers do: project pages and wheel metadata.

A project page is read as PEP 691 JSON where the server offers it (PyPI) and as PEP 503 HTML
otherwise (the PyTorch index is static files). Wheel metadata comes from the PEP 658 file next
to the wheel where the page announces one, else from the wheel itself through HTTP range
requests: the zip's central directory and the METADATA member, never the whole wheel.

Only the URLs given are contacted.
"""

from __future__ import annotations

import email.parser
import io
import json
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag, urljoin

from packaging.tags import Tag
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
USER_AGENT = "torch-uv-template-facts/1"
# Range requests read the wheel in blocks of this size (a torch wheel's central directory is ~2 MB).
BLOCK = 1 << 20


class Unreachable(Exception):
    """The index could not be read (network error, server error): not the same as "absent"."""


@dataclass(frozen=True)
class WheelFile:
    """One file of a project page: a wheel (what `wheels` returns), or an sdist read for its version."""

    filename: str
    url: str
    requires_python: str | None
    upload_time: str | None  # ISO 8601 (PEP 700); None where the index does not say
    metadata_url: str | None  # the PEP 658 metadata file, where the index announces one

    @property
    def version(self) -> Version:
        return parse_wheel_filename(self.filename)[1]

    @property
    def tags(self) -> frozenset[Tag]:
        return parse_wheel_filename(self.filename)[3]


class SimpleIndex:
    """A simple-API index at `base_url` (`<base_url>/<project>/` is a project page)."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._pages: dict[str, list[WheelFile] | None] = {}
        self._versions: dict[str, list[Version] | None] = {}
        self._sdist_versions: dict[str, list[Version]] = {}
        self._metadata: dict[str, Message] = {}

    def wheels(self, project: str) -> list[WheelFile] | None:
        """The project's wheels; None when the index has no such project (404)."""
        if project not in self._pages:
            self._pages[project] = self._read_page(project)
        return self._pages[project]

    def versions(self, project: str) -> list[Version] | None:
        """Every version the project page lists a file of (sdists too), sorted; None when the index
        has no such project (404)."""
        if project not in self._versions:
            wheels = self.wheels(project)
            sdists = self._sdist_versions.get(project, [])
            self._versions[project] = None if wheels is None else sorted({*sdists, *(w.version for w in wheels)})
        return self._versions[project]

    def metadata(self, wheel: WheelFile) -> Message:
        """The wheel's core metadata (METADATA) as an email message; the payload is its description."""
        if wheel.url not in self._metadata:
            if wheel.metadata_url:
                data = self._get(wheel.metadata_url)
            else:
                with zipfile.ZipFile(io.BufferedReader(_RangeReader(wheel.url, self), BLOCK)) as archive:
                    name = next(
                        n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
                    )
                    data = archive.read(name)
            self._metadata[wheel.url] = email.parser.BytesParser().parsebytes(data)
        return self._metadata[wheel.url]

    # --- HTTP ---------------------------------------------------------------------------

    def _read_page(self, project: str) -> list[WheelFile] | None:
        url = f"{self.base_url}/{project}/"
        try:
            response = self._open(urllib.request.Request(url, headers={"Accept": ACCEPT}))
        except urllib.error.HTTPError as error:
            if error.code in (403, 404):  # S3 answers 403 for a missing key
                return None
            raise Unreachable(f"{url}: HTTP {error.code}") from error
        with response:
            body = response.read()
            page_url = response.geturl()
            content_type = response.headers.get_content_type()
        if content_type == "application/vnd.pypi.simple.v1+json":
            files = _files_from_json(json.loads(body), page_url)
        else:
            files = _files_from_html(body.decode("utf-8", errors="replace"), page_url)
        self._sdist_versions[project] = [v for v in map(_sdist_version, files) if v is not None]
        return [wheel for wheel in map(_wheel, files) if wheel is not None]

    def _get(self, url: str, byte_range: str | None = None) -> bytes:
        headers = {"Range": f"bytes={byte_range}"} if byte_range else {}
        try:
            with self._open(urllib.request.Request(url, headers=headers)) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise Unreachable(f"{url}: HTTP {error.code}") from error

    def _open(self, request: urllib.request.Request):
        request.add_header("User-Agent", USER_AGENT)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError:
            raise
        except (OSError, ValueError) as error:
            raise Unreachable(f"{request.full_url}: {error}") from error

    def _size(self, url: str) -> int:
        try:
            with self._open(urllib.request.Request(url, method="HEAD")) as response:
                return int(response.headers["Content-Length"])
        except urllib.error.HTTPError as error:
            raise Unreachable(f"{url}: HTTP {error.code}") from error


class _RangeReader(io.RawIOBase):
    """A remote file as a seekable binary stream, read with HTTP range requests."""

    def __init__(self, url: str, index: SimpleIndex) -> None:
        self._url, self._index = url, index
        self._size = index._size(url)
        self._position = 0
        self._tail_start = max(0, self._size - BLOCK)
        self._tail: bytes | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        end = min(self._position + len(buffer), self._size)
        if end <= self._position:
            return 0
        if self._position >= self._tail_start:
            # zipfile reads the end records, then the central directory, then seeks back: the
            # file's last block in one request serves all of them (one to three otherwise).
            if self._tail is None:
                self._tail = self._range(self._tail_start, self._size)
            data = self._tail[self._position - self._tail_start : end - self._tail_start]
        else:
            data = self._range(self._position, end)
        buffer[: len(data)] = data
        self._position = end
        return len(data)

    def _range(self, start: int, end: int) -> bytes:
        data = self._index._get(self._url, f"{start}-{end - 1}")
        if len(data) != end - start:
            raise Unreachable(f"{self._url}: the server ignored the range request")
        return data


def _wheel(file: WheelFile) -> WheelFile | None:
    """The file if it is a wheel (a page's files are read as WheelFile records, sdists too)."""
    try:
        parse_wheel_filename(file.filename)
    except InvalidWheelFilename:
        return None
    return file


def _sdist_version(file: WheelFile) -> Version | None:
    try:
        return parse_sdist_filename(file.filename)[1]
    except InvalidSdistFilename:
        return None  # wheels and other files


def _files_from_json(page: dict, page_url: str) -> list[WheelFile]:
    files = []
    for file in page.get("files", []):
        url = urljoin(page_url, file["url"])
        metadata = f"{url}.metadata" if file.get("core-metadata") or file.get("data-dist-info-metadata") else None
        files.append(
            WheelFile(file["filename"], url, file.get("requires-python") or None, file.get("upload-time"), metadata)
        )
    return files


def _files_from_html(text: str, page_url: str) -> list[WheelFile]:
    parser = _AnchorParser()
    parser.feed(text)
    files = []
    for attributes in parser.anchors:
        href = attributes.get("href")
        if not href:
            continue
        url = urldefrag(urljoin(page_url, href)).url
        filename = unquote(url.rsplit("/", 1)[-1])
        metadata = attributes.get("data-core-metadata") or attributes.get("data-dist-info-metadata")
        has_metadata = metadata is not None and metadata != "false"
        requires_python = attributes.get("data-requires-python") or None
        files.append(WheelFile(filename, url, requires_python, None, f"{url}.metadata" if has_metadata else None))
    return files


class _AnchorParser(HTMLParser):
    """The attributes of every `<a>` of a PEP 503 page (entities already unescaped)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
