"""Runs the deployment's nginx configuration as the host would, in a temporary folder: deploy/render.py fills
deploy/nginx/aiguillage.conf with the test's paths and loopback ports, and a small main file (what Debian's
/etc/nginx/nginx.conf is on the host) includes it. nginx runs as the current user, never as a daemon."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.tests.pki import Pki

DEPLOY = Path(__file__).resolve().parent.parent
NGINX = Path(os.environ.get("AIGUILLAGE_NGINX", "/usr/sbin/nginx"))
SERVER_NAME = "localhost"
FOREGROUND = ["-g", "daemon off;"]  # the test holds nginx's master process, and stops it


def run_script(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """One of deploy/'s scripts, run as a host runs it (the system's way: a python3 process, its exit code and its
    words), never raising on a refusal."""
    return subprocess.run(
        [sys.executable, str(DEPLOY / name), *arguments], capture_output=True, text=True, timeout=60, check=False
    )


def require_nginx() -> Path:
    """nginx is part of the tested deployment: missing, the test fails with what to install; it never skips."""
    if not NGINX.exists():
        import pytest

        pytest.fail(f"nginx not found at {NGINX}: run `make system-deps` (apt-get install nginx).")
    return NGINX


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class NginxSite:
    folder: Path
    main_conf: Path
    env_file: Path
    http_port: int
    https_port: int

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"


def render_site(folder: Path, pki: Pki, static_root: Path, upstream: list[str]) -> NginxSite:
    """The nginx.env of this test host, the configuration rendered from it by deploy/render.py (as an operator
    does), and the main file that includes it."""
    folder.mkdir(parents=True, exist_ok=True)
    http_port, https_port = free_port(), free_port()
    env_file = folder / "nginx.env"
    env_file.write_text(
        "\n".join(
            [
                f"SERVER_NAME={SERVER_NAME}",
                f"PUBLIC_URL=https://{SERVER_NAME}:{https_port}",
                f"HTTP_LISTEN=127.0.0.1:{http_port}",
                f"HTTPS_LISTEN=127.0.0.1:{https_port}",
                f"TLS_CERTIFICATE={pki.server_chain}",
                f"TLS_CERTIFICATE_KEY={pki.server_key}",
                f"CLIENT_CA={pki.client_ca}",
                f"CLIENT_CRL={pki.client_crl}",
                "CLIENT_CRL_URLS=http://127.0.0.1:9/unused-by-nginx.crl",
                f"STATIC_ROOT={static_root}",
                f'UPSTREAM="{" ".join(upstream)}"',
            ]
        )
        + "\n"
    )
    site = folder / "aiguillage.conf"
    subprocess.run(
        [sys.executable, str(DEPLOY / "render.py"), str(env_file), "-o", str(site)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    temporary = " ".join(f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi"))
    temporary += " ".join(f" {kind}_temp_path {folder / kind};" for kind in ("uwsgi", "scgi"))
    main_conf = folder / "nginx.conf"
    main_conf.write_text(
        f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
    {temporary}
    include {site};
}}
"""
    )
    return NginxSite(folder, main_conf, env_file, http_port, https_port)


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path, seconds: float = 20
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped:\n{log.read_text(errors='replace')}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {seconds} s:\n{log.read_text(errors='replace')}")


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_nginx(site: NginxSite) -> subprocess.Popen[bytes]:
    nginx = require_nginx()
    process = spawn(
        [str(nginx), "-p", str(site.folder), "-e", str(site.error_log), "-c", str(site.main_conf), *FOREGROUND],
        site.error_log,
    )
    try:
        wait_until(lambda: listening(site.https_port) and listening(site.http_port), process, "nginx", site.error_log)
    except RuntimeError:
        stop(process)
        raise
    return process


def spawn(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A server in its own process group (stop() ends it with its workers), its output in `log` (a pipe nobody reads
    would block it once full)."""
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT to the server's group (nginx's and gunicorn's quick shutdown), then SIGKILL to whatever of the group is
    left after 2 s: gunicorn's master lingers seconds after its workers have gone, and a worker left behind would
    hold a connection to the test database, which pytest-django then could not drop."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
