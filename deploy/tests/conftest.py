"""One deployment (nginx in front of gunicorn, deploy/tests/stack.py) for every test of this folder that asks for it,
started once and stopped at the end whatever happens."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from deploy.tests import harness
from deploy.tests.pki import make_pki
from deploy.tests.stack import Deployment, start_gunicorn


@pytest.fixture(scope="package")
def deployment(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    harness.require_nginx()
    folder = tmp_path_factory.mktemp("deployment")
    pki = make_pki(folder / "pki", harness.SERVER_NAME)
    static_root = folder / "static"
    (static_root / "css").mkdir(parents=True)
    (static_root / "notice.txt").write_text("collected by collectstatic\n")
    (static_root / "css" / "app.3f2a9b8c1d4e.css").write_text("body { color: black; }\n")
    sockets = [folder / "web-1.sock", folder / "web-2.sock"]
    site = harness.render_site(folder / "nginx", pki, static_root, [f"unix:{path}" for path in sockets])
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(start_gunicorn(folder, sockets, site.https_port, static_root))
        processes.append(harness.start_nginx(site))
        yield Deployment(pki, site, static_root, folder / "gunicorn-access.log")
    finally:
        for process in reversed(processes):
            harness.stop(process)
