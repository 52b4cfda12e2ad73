"""Benchmark of a large extract upload through a real web server: `pcref bench --only uploads`.

A new interpreter with a throwaway SQLite database and insights folder sets up a trust and an
analyst who has signed in with a second factor (a session made with Django's test client).
A second one serves the site with Django's WSGI server (wsgiref, as `runserver` and the demo
use) on 127.0.0.1 and a free port. This process then streams a multipart POST of a generated
file (2 GiB by default), named like a table, to the upload page with http.client, 1 MiB at a
time, never holding the file in memory, and reads the server's peak resident memory (VmHWM in
/proc/<pid>/status: Linux only) once it has answered. No worker runs: the file is stored and
waits to be checked, as a real upload would (being no valid CSV, its check would then fail).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from http.cookies import SimpleCookie
from pathlib import Path

GIB, MIB = 1024**3, 1024**2
CHUNK = MIB
FILE_NAME = "mhs201_care_contacts.csv"  # a table's name, so the upload page takes it
UPLOAD_PATH = "/staff/insights/uploads/new/"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcref.settings")
    import django

    django.setup()


def prepare_site() -> dict:
    """In a fresh interpreter (its environment pointing at a throwaway database and folder):
    migrate, add a trust and an analyst with a confirmed authenticator, and sign them in.
    Returns the session cookie's name and value."""
    _django()
    from django.conf import settings

    from pcref.insights.bench_pages import signed_in_site

    trust, client = signed_in_site()
    session = client.session
    return {
        "cookie": settings.SESSION_COOKIE_NAME,
        "session": session.session_key,
        "organisation_folder": trust.ods_code,
    }


def serve(port_file: Path) -> None:
    """Serve the site on 127.0.0.1 and a free port (written to `port_file`) until stopped."""
    _django()
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application

    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    written = port_file.with_suffix(".part")
    written.write_text(str(server.server_address[1]), "utf-8")
    written.rename(port_file)  # whole or absent for the process waiting on it
    server.serve_forever()


def memory_mb(pid: int | str, key: str = "VmHWM") -> float:
    """A process's peak (VmHWM) or current (VmRSS) resident memory, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    raise RuntimeError(f"/proc/{pid}/status has no {key}")


def _block() -> bytes:
    """1 MiB of lines that look like a table (not valid against the specification)."""
    line = b"C0000001,R0000001,P0000001,T01,2024-04-01,Y\n"
    return (line * (CHUNK // len(line) + 1))[:CHUNK]


def stream_upload(port: int, cookies: dict[str, str], token: str, size: int) -> dict:
    """POST one generated file of `size` bytes to the upload page, in CHUNK pieces."""
    boundary = f"pcref-bench-{uuid.uuid4().hex}"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{token}\r\n"
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{FILE_NAME}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = _block()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    started = time.perf_counter()
    connection.putrequest("POST", UPLOAD_PATH)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + size + len(tail)))
    connection.putheader("Cookie", _cookie_header(cookies))
    connection.endheaders()
    connection.send(head)
    sent = 0
    while sent < size:
        piece = block if size - sent >= CHUNK else block[: size - sent]
        connection.send(piece)
        sent += len(piece)
    connection.send(tail)
    response = connection.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    return {
        "status": response.status,
        "location": response.getheader("Location", ""),
        "body": body.decode("utf-8", "replace"),
        "seconds": seconds,
    }


def _get(port: int, path: str, cookies: dict[str, str]) -> tuple[int, str, list[str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": _cookie_header(cookies)})
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    set_cookies = response.msg.get_all("Set-Cookie") or []
    connection.close()
    return response.status, body, set_cookies


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _child(environment: dict, *arguments: str, **kwargs) -> subprocess.Popen:
    command = [sys.executable, "-m", "pcref.insights.bench_uploads", *arguments]
    return subprocess.Popen(command, env=environment, **kwargs)


def _wait_for_port(server: subprocess.Popen, port_file: Path, log: Path) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if port_file.is_file():
            return int(port_file.read_text())
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    raise RuntimeError("the server did not start within two minutes")


def uploads_benchmark(
    upload_bytes: int = 2 * GIB, work_dir: Path | None = None, *, signed_in: bool = True
) -> dict:
    """Serve the site in a new process, stream one upload of `upload_bytes` to it, and measure.

    The throwaway database, insights folder and temporary upload folder are in a new folder of
    `work_dir` (default: the system's temporary folder), removed at the end. With `signed_in`
    False the POST has no session or CSRF token, so it is refused before its body is read.
    """
    site = Path(tempfile.mkdtemp(prefix="pcref-bench-uploads-", dir=work_dir))
    try:
        free = shutil.disk_usage(site).free
        if free < upload_bytes * 1.1 + 200 * MIB:
            raise RuntimeError(
                f"{site} has {free / GIB:.1f} GiB free; the upload needs "
                f"{upload_bytes / GIB:.1f} GiB and a margin"
            )
        (site / "tmp").mkdir()
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pcref.settings",
            "DATABASE_URL": f"sqlite:///{site / 'bench.sqlite3'}",
            "PCREF_INSIGHTS_DIR": str(site / "insights"),
            "PCREF_UPLOAD_TEMP_DIR": str(site / "tmp"),  # same disk: stored by a rename
            "PCREF_ALLOWED_HOSTS": "127.0.0.1",
        }
        prepared = subprocess.run(
            [sys.executable, "-m", "pcref.insights.bench_uploads", "--prepare"],
            env=environment,
            capture_output=True,
            text=True,
        )
        if prepared.returncode != 0:
            raise RuntimeError(f"preparing the site failed:\n{prepared.stderr[-3000:]}")
        site_facts = json.loads(prepared.stdout.strip().splitlines()[-1])
        return _measure(site, environment, site_facts, upload_bytes, signed_in)
    finally:
        shutil.rmtree(site, ignore_errors=True)


def _measure(
    site: Path, environment: dict, site_facts: dict, upload_bytes: int, signed_in: bool
) -> dict:
    port_file, log = site / "port", site / "server.log"
    with log.open("wb") as log_handle:
        server = _child(
            environment, "--serve", str(port_file), stdout=log_handle, stderr=subprocess.STDOUT
        )
    try:
        port = _wait_for_port(server, port_file, log)
        cookies = {site_facts["cookie"]: site_facts["session"]}
        status, page, set_cookies = _get(port, UPLOAD_PATH, cookies)
        token = _TOKEN.search(page)
        if status != 200 or token is None:
            raise RuntimeError(f"GET {UPLOAD_PATH} answered {status}, not the upload form")
        for header in set_cookies:
            cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        if not signed_in:
            cookies = {}
        before_mb = memory_mb(server.pid)
        answer = stream_upload(port, cookies, token.group(1), upload_bytes)
        peak_mb = memory_mb(server.pid)
        stored = _stored_bytes(site / "insights" / site_facts["organisation_folder"])
        shown = _get(port, answer["location"], cookies)[0] if answer["location"] else None
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {
        "upload_bytes": upload_bytes,
        "signed_in": signed_in,
        "status": answer["status"],
        "location": answer["location"],
        "upload_page_status": shown,
        "stored_bytes": stored,
        "outcome": "stored" if answer["status"] == 302 and stored == upload_bytes else "refused",
        "refusal": _error_message(answer["body"]) if answer["status"] != 302 else "",
        "seconds": round(answer["seconds"], 2),
        "mb_per_s": round(upload_bytes / MIB / max(answer["seconds"], 1e-9), 1),
        "server_rss_before_mb": before_mb,
        "server_peak_rss_mb": peak_mb,
        "client_peak_rss_mb": memory_mb("self"),
    }


def _stored_bytes(organisation_folder: Path) -> int:
    """The size of the file the upload stored, 0 when none was."""
    found = list(organisation_folder.glob(f"uploads/*/extract/{FILE_NAME}"))
    return found[0].stat().st_size if found else 0


def _error_message(body: str) -> str:
    found = re.search(r'class="nhsuk-error-message"[^>]*>(.*?)</span>\s*(.*?)</span>', body, re.S)
    return " ".join(found.group(2).split()) if found else body[:200]


def print_uploads_benchmark(
    upload_gb: float = 2.0, work_dir: str | None = None, *, signed_in: bool = True
) -> dict:
    figures = uploads_benchmark(
        int(upload_gb * GIB), Path(work_dir) if work_dir else None, signed_in=signed_in
    )
    print(
        f"Upload of one {figures['upload_bytes'] / GIB:g} GiB file ({FILE_NAME}) through Django's "
        f"WSGI server on 127.0.0.1, streamed in {CHUNK // MIB} MiB chunks"
        + ("" if signed_in else ", not signed in")
        + ":"
    )
    print(
        f"  answer {figures['status']} {figures['location']} in {figures['seconds']} s "
        f"({figures['mb_per_s']} MB/s); {figures['outcome']}"
        + (f": {figures['refusal']}" if figures["refusal"] else "")
    )
    print(
        f"  server resident memory: {figures['server_rss_before_mb']} MB peak before the upload, "
        f"{figures['server_peak_rss_mb']} MB peak after it (VmHWM)"
    )
    print(f"  client (this process) peak: {figures['client_peak_rss_mb']} MB")
    print(f"  stored: {figures['stored_bytes']:,} bytes")
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-gb", type=float, default=2.0, help="size of the file, in GiB")
    parser.add_argument("--work-dir", help="where the throwaway site goes (default: temporary)")
    parser.add_argument(
        "--signed-out", action="store_true", help="post with no session: refused before the body"
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the serving interpreter
    args = parser.parse_args(argv)
    if args.prepare:
        print(json.dumps(prepare_site()))
        return
    if args.serve:
        serve(Path(args.serve))
        return
    print_uploads_benchmark(args.upload_gb, args.work_dir, signed_in=not args.signed_out)


if __name__ == "__main__":
    main()
