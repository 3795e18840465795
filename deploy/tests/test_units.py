"""The deployment's files agree with each other and with the app: the systemd units pass `systemd-analyze verify`, the
environment example names every setting the app reads, the web unit's socket is the one nginx's upstream names, and
deploy/render.py refuses an incomplete or mistaken nginx.env without writing anything."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from deploy.tests import harness

DEPLOY = Path(__file__).resolve().parent.parent
UNITS = DEPLOY / "systemd"
INSTALLED_AT = "/srv/aiguillage"


def env_names(path: Path) -> set[str]:
    """The variables a KEY=value file names, commented out or not."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", path.read_text(), flags=re.MULTILINE))


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze not found: install systemd (the units are checked with it).")
    # Installed under /srv/aiguillage; checked here against this checkout (its .venv holds python and gunicorn).
    names = []
    for unit in sorted(UNITS.glob("*.service")):
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(unit.read_text().replace(INSTALLED_AT, str(settings.BASE_DIR)))
        names.append(str(tmp_path / name))
    result = subprocess.run([analyze, "verify", *names], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")
    checked = {Path(name).name for name in names}
    assert checked >= {
        "aiguillage-migrate.service",
        "aiguillage-web.service",
        "aiguillage-worker@1.service",
        "aiguillage-scheduler.service",
        "aiguillage-scheduler-owner.service",
    }


def test_the_environment_example_names_every_setting_the_app_reads() -> None:
    source = "\n".join(path.read_text() for path in (Path(settings.BASE_DIR) / "aiguillage" / "settings").glob("*.py"))
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    assert {"DATABASE_URL", "AIGUILLAGE_SECRET_KEY", "AIGUILLAGE_FHIR_CLIENT_SUBJECT_HEADER"} <= read
    example = DEPLOY / "aiguillage.env.example"
    assert read - env_names(example) == set()
    secrets = re.findall(r"^(AIGUILLAGE_SECRET_KEY|AIGUILLAGE_ACCESS_LOG_KEY)=(.*)$", example.read_text(), re.M)
    assert secrets == [("AIGUILLAGE_SECRET_KEY", ""), ("AIGUILLAGE_ACCESS_LOG_KEY", "")]  # no secret shipped


def test_the_owners_units_load_owner_env_after_app_env_and_the_apps_never_do() -> None:
    for unit in UNITS.glob("*.service"):
        files = re.findall(r"^EnvironmentFile=(.+)$", unit.read_text(), flags=re.MULTILINE)
        user = re.search(r"^User=(.+)$", unit.read_text(), flags=re.MULTILINE)
        assert user is not None, unit.name
        if user.group(1) == "aiguillage-owner":
            assert files == ["/etc/aiguillage/app.env", "/etc/aiguillage/owner.env"], unit.name
        elif user.group(1) == "root":  # nginx's revocation lists: no app setting nor secret reaches it
            assert (unit.name, files) == ("aiguillage-crl.service", []), unit.name
        else:
            assert (user.group(1), files) == ("aiguillage", ["/etc/aiguillage/app.env"]), unit.name
    assert env_names(DEPLOY / "owner.env.example") == {"DATABASE_URL", "AIGUILLAGE_APP_ROLE"}


def test_nginx_proxies_to_the_socket_the_web_unit_binds_and_serves_the_static_root_collectstatic_fills() -> None:
    nginx_env = (DEPLOY / "nginx.env.example").read_text()
    web = (UNITS / "aiguillage-web.service").read_text()
    upstream = re.search(r"^UPSTREAM=(.+)$", nginx_env, flags=re.MULTILINE)
    assert upstream is not None and f"--bind {upstream.group(1)} " in web
    static = re.search(r"^STATIC_ROOT=(.+)$", nginx_env, flags=re.MULTILINE)
    assert static is not None
    assert f"# AIGUILLAGE_STATIC_ROOT={static.group(1)}\n" in (DEPLOY / "aiguillage.env.example").read_text()


def render(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return harness.run_script("render.py", str(DEPLOY / "nginx.env.example"), *extra)


def test_the_example_renders_a_configuration_with_every_placeholder_filled(tmp_path: Path) -> None:
    output = tmp_path / "aiguillage.conf"
    result = render(tmp_path, "--set", "UPSTREAM=unix:/run/a.sock 127.0.0.1:8001", "-o", str(output))
    assert result.returncode == 0, result.stderr
    text = output.read_text()
    assert "@" not in text.replace("$", "")
    assert "    server unix:/run/a.sock max_fails=3" in text and "    server 127.0.0.1:8001 max_fails=3" in text
    assert "return 301 https://aiguillage.example.org$request_uri;" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "CLIENT_CA="], "no value for CLIENT_CA"),
        (["--set", "CLIENT_CERTIFICATE=/etc/x.pem"], "not a placeholder of the template: CLIENT_CERTIFICATE"),
        (["--set", "SERVER_NAME=a.org; return 200"], "SERVER_NAME: one word"),
    ],
)
def test_render_refuses_a_mistaken_value_and_writes_nothing(tmp_path: Path, extra: list[str], message: str) -> None:
    output = tmp_path / "aiguillage.conf"
    result = render(tmp_path, *extra, "-o", str(output))
    assert result.returncode == 1
    assert message in result.stderr and "nothing written" in result.stderr
    assert list(tmp_path.iterdir()) == []
