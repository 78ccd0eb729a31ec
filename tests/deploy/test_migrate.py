"""migrate.py against a real PostgreSQL: apply, re-run, drift, failure, lock, repeatables,
notices, one read of each file per run."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest

import migrate
from app.ops import migrations, roles
from tests.support import ROOT
from tests.support.database import conninfo_of

COUNTER = "CREATE TABLE counter (id int);\n"


def sql_tree(
    root: Path, migrations: dict[str, str], functions: dict[str, str] | None = None
) -> Path:
    """Write a small sql/ tree: ``migrations/`` and ``functions/`` with the given files."""
    for folder, files in (("migrations", migrations), ("functions", functions or {})):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / folder / name).write_text(text)
    return root


@pytest.fixture
def conn(empty_db: psycopg.Connection) -> psycopg.Connection:
    """The fresh empty database, in autocommit so the test's reads hold no locks."""
    empty_db.autocommit = True
    return empty_db


@pytest.fixture
def url(conn: psycopg.Connection) -> str:
    return conninfo_of(conn)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two versioned files and one repeatable file that logs each time it runs."""
    return sql_tree(
        tmp_path / "sql",
        {
            "0001_counter.sql": COUNTER + "CREATE TABLE run_log (file text);\n",
            "0002_count.sql": "INSERT INTO counter VALUES (2);\n",
        },
        {"view.sql": "CREATE OR REPLACE VIEW counted AS SELECT count(*) FROM counter;\n"},
    )


def history(conn: psycopg.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT kind, name FROM wallet_migrate.history ORDER BY id").fetchall()
    return [(kind, name) for kind, name in rows]


def exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("SELECT to_regclass(%s)", (relation,)).fetchone()[0] is not None


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``migrate.main(argv)``: its exit code and everything it printed."""
    code = migrate.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_fresh_database_up_then_status_is_clean(
    conn: psycopg.Connection, url: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines: list[str] = []
    applied = migrate.Migrator(url, root=tree, out=lines.append).up()

    assert applied == ["0001_counter.sql", "0002_count.sql", "view.sql"]
    assert any(line.startswith("applied 0002_count.sql in ") for line in lines)
    assert conn.execute("SELECT * FROM counted").fetchone() == (1,)
    assert migrate.Migrator(url, root=tree).status().current
    assert run_main(capsys, "status", "--database-url", url, "--root", str(tree))[0] == 0
    code, output = run_main(capsys, "up", "--database-url", url, "--root", str(tree))
    assert code == 0
    assert "nothing to apply; database is up to date" in output
    assert "applied" not in output
    assert len(history(conn)) == 3


def test_real_sql_tree_applies_cleanly_and_only_once(
    conn: psycopg.Connection, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = migrate.Migrator(url, out=lambda line: None).up()

    on_disk = [p.name for p in migrate.versioned_files(migrate.SQL_ROOT)]
    on_disk += [p.name for p in migrate.repeatable_files(migrate.SQL_ROOT)]
    assert first == on_disk
    assert run_main(capsys, "status", "--database-url", url)[0] == 0
    assert migrate.Migrator(url, out=lambda line: None).up() == []


def test_edited_applied_file_is_drift_and_nothing_runs(
    conn: psycopg.Connection, url: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate.Migrator(url, root=tree, out=lambda line: None).up()
    (tree / "migrations" / "0002_count.sql").write_text("INSERT INTO counter VALUES (22);\n")
    (tree / "migrations" / "0003_more.sql").write_text("CREATE TABLE more (id int);\n")

    code, output = run_main(capsys, "up", "--database-url", url, "--root", str(tree))
    assert code == 3
    assert "0002_count.sql" in output
    assert not exists(conn, "more")
    code, output = run_main(capsys, "status", "--database-url", url, "--root", str(tree))
    assert code == 3
    assert "drifted          versioned   0002_count.sql" in output
    with pytest.raises(migrate.DriftError) as raised:
        migrate.Migrator(url, root=tree, out=lambda line: None).up()
    assert raised.value.files == ["0002_count.sql"]


def test_renamed_applied_file_is_drift(conn: psycopg.Connection, url: str, tree: Path) -> None:
    migrator = migrate.Migrator(url, root=tree, out=lambda line: None)
    migrator.up()
    migrations = tree / "migrations"
    (migrations / "0002_count.sql").rename(migrations / "0002_renamed.sql")

    with pytest.raises(migrate.DriftError, match=r"was applied as 0002_count\.sql"):
        migrator.up()
    assert migrator.status().exit_code == 3


def test_broken_migration_rolls_back_alone_and_is_reported_by_line(
    conn: psycopg.Connection, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = sql_tree(
        tmp_path,
        {
            "0001_first.sql": "CREATE TABLE first (id int);\n",
            "0002_second.sql": "CREATE TABLE second (id int);\n\n  SELEC 1;\n",
            "0003_third.sql": "CREATE TABLE third (id int);\n",
        },
    )

    code, output = run_main(capsys, "up", "--database-url", url, "--root", str(tree))

    assert code == 1
    assert "0002_second.sql failed at line 3, column 3" in output
    assert "SQLSTATE 42601" in output
    assert 'syntax error at or near "SELEC"' in output
    assert exists(conn, "first")
    assert not exists(conn, "second")
    assert not exists(conn, "third")
    assert history(conn) == [("versioned", "0001_first.sql")]


def test_error_inside_function_body_points_at_the_file_line(
    conn: psycopg.Connection, url: str, tmp_path: Path
) -> None:
    body = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETRN 1;\nEND $$;\n"
    tree = sql_tree(tmp_path, {"0001_ok.sql": "SELECT 1;\n", "0002_f.sql": "\n" + body})

    with pytest.raises(migrate.MigrationError) as raised:
        migrate.Migrator(url, root=tree, out=lambda line: None).up()

    error = raised.value
    assert (error.file, error.sqlstate, error.line, error.column) == ("0002_f.sql", "42601", 4, 3)


GATE_KEY = 4242
"""An advisory lock the test holds so that the first migrate.py stops inside a migration."""


def advisory_locks(conn: psycopg.Connection) -> list[tuple[int, int, bool]]:
    """(pid, key, granted) of the advisory locks that migrate.py sessions hold or wait for
    on this database."""
    return conn.execute(
        "SELECT l.pid, l.objid::bigint, l.granted FROM pg_locks AS l"
        " JOIN pg_stat_activity AS a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objsubid = 1"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND a.application_name = 'migrate.py' ORDER BY 1, 2",
    ).fetchall()


def test_two_processes_at_once_apply_every_file_exactly_once(
    conn: psycopg.Connection, url: str, tmp_path: Path
) -> None:
    """The runs overlap for certain: the first stops inside 0002 on a lock the test holds, and
    the test sees, in pg_locks, the second waiting for the migration lock the first holds."""
    tree = sql_tree(
        tmp_path,
        {
            "0001_counter.sql": COUNTER,
            "0002_gated.sql": f"SELECT pg_advisory_xact_lock({GATE_KEY});\n"
            "INSERT INTO counter VALUES (2);\n",
            "0003_count.sql": "INSERT INTO counter VALUES (3);\n",
        },
        {"count.sql": "INSERT INTO counter VALUES (100);\n"},
    )
    command = [sys.executable, "migrate.py", "up", "--database-url", url, "--root", str(tree)]
    gate = psycopg.connect(url, autocommit=True)
    gate.execute("SELECT pg_advisory_lock(%s)", (GATE_KEY,))

    processes = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 30
        while True:
            locks = advisory_locks(conn)
            holder = [pid for pid, key, granted in locks if key == migrate.LOCK_KEY and granted]
            waiter = [pid for pid, key, granted in locks if key == migrate.LOCK_KEY and not granted]
            gated = [pid for pid, key, granted in locks if key == GATE_KEY and not granted]
            if holder and waiter and gated and not set(gated) & set(waiter):
                # the first run holds the migration lock and is inside 0002 (on another of its
                # sessions: it applies files on a second connection); the second run waits
                break
            assert time.monotonic() < deadline, f"the runs never overlapped: {locks}"
            assert all(process.poll() is None for process in processes), locks
            time.sleep(0.01)
        assert len(holder) == len(waiter) == 1
        assert holder != waiter
    finally:
        gate.close()  # let the first run go on
    outputs = [process.communicate(timeout=30)[0] for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sorted("applied 0002_gated.sql" in output for output in outputs) == [False, True]
    assert sum("waiting up to" in output for output in outputs) == 1, outputs
    assert conn.execute("SELECT id FROM counter ORDER BY id").fetchall() == [(2,), (3,), (100,)]
    assert len(history(conn)) == 4


def test_lock_held_elsewhere_times_out_with_exit_4(
    conn: psycopg.Connection, url: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn.execute("SELECT pg_advisory_lock(%s)", (migrate.LOCK_KEY,))
    started = time.monotonic()

    code, output = run_main(
        capsys, "up", "--lock-timeout", "1", "--database-url", url, "--root", str(tree)
    )

    assert code == 4
    assert time.monotonic() - started < 5
    assert "migration lock" in output
    assert not exists(conn, "counter")


def test_changed_repeatable_file_is_reapplied_and_unchanged_one_is_not(
    conn: psycopg.Connection, url: str, tmp_path: Path
) -> None:
    tree = sql_tree(
        tmp_path,
        {"0001_log.sql": "CREATE TABLE run_log (file text);\n"},
        {
            "a.sql": "INSERT INTO run_log VALUES ('a');\n",
            "b.sql": "INSERT INTO run_log VALUES ('b');\n",
        },
    )
    migrator = migrate.Migrator(url, root=tree, out=lambda line: None)
    assert migrator.up() == ["0001_log.sql", "a.sql", "b.sql"]

    (tree / "functions" / "b.sql").write_text("INSERT INTO run_log VALUES ('b2');\n")

    assert [f.name for f in migrator.status().pending] == ["b.sql"]
    assert migrator.up() == ["b.sql"]
    rows = conn.execute("SELECT file FROM run_log").fetchall()
    assert sorted(file for (file,) in rows) == ["a", "b", "b2"]
    assert migrator.up() == []
    assert conn.execute("SELECT count(*) FROM run_log").fetchone() == (3,)


def test_failing_repeatable_rolls_back_every_repeatable_of_the_run(
    conn: psycopg.Connection, url: str, tmp_path: Path
) -> None:
    tree = sql_tree(
        tmp_path,
        {"0001_log.sql": "CREATE TABLE run_log (file text);\n"},
        {"a.sql": "INSERT INTO run_log VALUES ('a');\n", "b.sql": "SELECT 1/0;\n"},
    )

    said: list[str] = []
    with pytest.raises(migrate.MigrationError) as raised:
        migrate.Migrator(url, root=tree, out=said.append).up()

    assert (raised.value.file, raised.value.sqlstate) == ("b.sql", "22012")
    assert conn.execute("SELECT count(*) FROM run_log").fetchone() == (0,)
    # a.sql ran, but its transaction was rolled back: it must not be reported as applied
    assert not any(line.startswith("applied a.sql") for line in said), said
    assert any(line.startswith("applied 0001_log.sql") for line in said), said
    assert history(conn) == [("versioned", "0001_log.sql")]


def test_dry_run_applies_nothing(
    conn: psycopg.Connection, url: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_main(capsys, "up", "--dry-run", "--database-url", url, "--root", str(tree))

    assert code == 0
    assert "would apply 0001_counter.sql" in output
    assert not exists(conn, "counter")
    assert conn.execute("SELECT to_regnamespace('wallet_migrate')").fetchone() == (None,)
    assert migrate.Migrator(url, root=tree, out=lambda line: None).up(dry_run=True) == [
        "0001_counter.sql",
        "0002_count.sql",
        "view.sql",
    ]
    assert run_main(capsys, "status", "--database-url", url, "--root", str(tree))[0] == 1


def test_problems_names_pending_drifted_changed_and_missing_files(
    conn: psycopg.Connection, url: str, tree: Path
) -> None:
    def applied_files() -> list[tuple[str, str, str]]:
        return conn.execute("SELECT kind, name, checksum FROM wallet_migrate.applied_files()")

    assert migrate.problems([], tree) == [
        "versioned file 0001_counter.sql is not applied",
        "versioned file 0002_count.sql is not applied",
        "repeatable file view.sql is not applied",
    ]
    migrate.Migrator(url, root=tree, out=lambda line: None).up()
    assert migrate.problems(applied_files(), tree) == []

    (tree / "migrations" / "0001_counter.sql").write_text("-- edited\n" + COUNTER)
    (tree / "migrations" / "0002_count.sql").unlink()
    (tree / "functions" / "view.sql").write_text("CREATE OR REPLACE VIEW counted AS SELECT 1;\n")
    found = migrate.problems(applied_files(), tree)

    assert found[0].startswith("versioned file 0001_counter.sql changed after it was applied")
    assert found[1:] == [
        "versioned file 0002_count.sql is applied but missing on disk",
        "repeatable file view.sql changed since it was applied",
    ]


def test_applied_files_needs_no_privilege(conn: psycopg.Connection, url: str, tree: Path) -> None:
    migrate.Migrator(url, root=tree, out=lambda line: None).up()
    role = f"migrate_test_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
    try:
        conn.execute(f'SET ROLE "{role}"')
        rows = conn.execute("SELECT kind, name, checksum FROM wallet_migrate.applied_files()")
        assert migrate.problems(rows.fetchall(), tree) == []
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM wallet_migrate.history")
    finally:
        conn.execute("RESET ROLE")
        conn.execute(f'DROP ROLE "{role}"')


def test_usage_errors_exit_2(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, output = run_main(capsys, "status")
    assert (code, "DATABASE_URL" in output) == (2, True)
    assert run_main(capsys, "sideways", "--database-url", url)[0] == 2
    sql_tree(tmp_path, {"12_too_short.sql": "SELECT 1;\n"})
    code, output = run_main(capsys, "up", "--database-url", url, "--root", str(tmp_path))
    assert (code, "NNNN_description.sql" in output) == (2, True)


def test_ddl_waiting_behind_a_long_transaction_fails_fast_and_applies_nothing(
    conn: psycopg.Connection, url: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate.Migrator(url, root=tree, out=lambda line: None).up()
    (tree / "migrations" / "0003_wider.sql").write_text(
        "ALTER TABLE counter ADD COLUMN label text;\n"
    )
    with psycopg.connect(url) as long_transaction:
        # a reader in an open transaction: ALTER TABLE needs ACCESS EXCLUSIVE and would queue
        long_transaction.execute("SELECT count(*) FROM counter")
        started = time.monotonic()
        code, output = run_main(
            capsys, "up", "--ddl-lock-timeout", "0.5", "--database-url", url, "--root", str(tree)
        )
        elapsed = time.monotonic() - started
        assert long_transaction.execute("SELECT count(*) FROM counter").fetchone() == (1,)

    assert code == migrate.EXIT_DDL_LOCK_TIMEOUT
    assert elapsed < 5
    assert "0003_wider.sql: no table lock within 0.5 s" in output
    assert "nothing of 0003_wider.sql was applied" in output
    columns = conn.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'counter'"
    ).fetchone()
    assert columns == (1,)
    assert ("versioned", "0003_wider.sql") not in history(conn)
    # once the long transaction is gone, the same command applies it
    code, output = run_main(capsys, "up", "--database-url", url, "--root", str(tree))
    assert code == 0, output
    assert "applied 0003_wider.sql" in output


def test_deleted_repeatable_file_is_reported_once(
    conn: psycopg.Connection, url: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "functions" / "extra.sql").write_text("SELECT 1;\n")
    migrate.Migrator(url, root=tree, out=lambda line: None).up()
    (tree / "functions" / "extra.sql").unlink()

    status = migrate.Migrator(url, root=tree).status()
    assert [(f.name, f.state) for f in status.deleted] == [("extra.sql", "deleted")]
    assert status.exit_code == 1
    assert "repeatable file extra.sql was deleted from disk since it was applied" in (
        migrate.problems(
            conn.execute("SELECT kind, name, checksum FROM wallet_migrate.applied_files()"), tree
        )
    )
    code, output = run_main(capsys, "up", "--database-url", url, "--root", str(tree))
    assert code == 0, output
    assert "repeatable file extra.sql was deleted from disk" in output
    code, output = run_main(capsys, "up", "--database-url", url, "--root", str(tree))
    assert "deleted" not in output
    assert migrate.Migrator(url, root=tree).status().current
    # brought back, it is applied again
    (tree / "functions" / "extra.sql").write_text("SELECT 1;\n")
    assert migrate.Migrator(url, root=tree, out=lambda line: None).up() == ["extra.sql"]


def routines(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
        " ON n.oid = p.pronamespace WHERE n.nspname IN ('wallet', 'wallet_core') ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


FUNCTIONS_SCHEMAS = "CREATE SCHEMA wallet;\nCREATE SCHEMA wallet_core;\n"


def function(name: str, args: str = "") -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}({args}) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n"
    )


def test_functions_no_file_defines_any_more_are_dropped(
    conn: psycopg.Connection, url: str, tmp_path: Path
) -> None:
    tree = sql_tree(
        tmp_path,
        {"0001_schemas.sql": FUNCTIONS_SCHEMAS},
        {
            "a.sql": function("wallet.bet_make", "request jsonb")
            + function("wallet_core.claim", "key text"),
            "b.sql": function("wallet_core.settle", "bet bigint")
            + function('wallet_core."Quoted"'),
            "c.sql": function("wallet_core.old_helper"),
        },
    )
    said: list[str] = []
    migrator = migrate.Migrator(url, root=tree, out=said.append)
    migrator.up()
    assert routines(conn) == [
        "wallet.bet_make(jsonb)",
        'wallet_core."Quoted"()',
        "wallet_core.claim(text)",
        "wallet_core.old_helper()",
        "wallet_core.settle(bigint)",
    ]
    assert not any(line.startswith("dropped") for line in said)

    # a.sql renames claim to claim_key and gives bet_make a new signature; c.sql is deleted;
    # b.sql is unchanged and not re-run, so its functions must survive
    (tree / "functions" / "a.sql").write_text(
        function("wallet.bet_make", "request jsonb, strict boolean")
        + function("wallet_core.claim_key", "key text")
    )
    (tree / "functions" / "c.sql").unlink()
    said.clear()
    assert migrator.up() == ["a.sql"]

    assert routines(conn) == [
        "wallet.bet_make(jsonb,boolean)",
        'wallet_core."Quoted"()',
        "wallet_core.claim_key(text)",
        "wallet_core.settle(bigint)",
    ]
    dropped = sorted(line for line in said if line.startswith("dropped function"))
    assert dropped == [
        "dropped function wallet.bet_make(jsonb): an older signature: the files that define "
        "the name did not create it",
        "dropped function wallet_core.claim(text): no file in sql/ defines it",
        "dropped function wallet_core.old_helper(): no file in sql/ defines it",
    ]
    assert migrator.up() == []


def test_a_stale_function_something_depends_on_fails_the_run_and_drops_nothing(
    conn: psycopg.Connection, url: str, tmp_path: Path
) -> None:
    tree = sql_tree(
        tmp_path,
        {"0001_schemas.sql": FUNCTIONS_SCHEMAS},
        {"a.sql": function("wallet_core.one") + function("wallet_core.two")},
    )
    migrator = migrate.Migrator(url, root=tree, out=lambda line: None)
    migrator.up()
    (tree / "migrations" / "0002_view.sql").write_text(
        "CREATE VIEW wallet_core.ones AS SELECT wallet_core.one() AS one;\n"
    )
    migrator.up()
    (tree / "functions" / "a.sql").write_text(function("wallet_core.two"))

    with pytest.raises(migrate.MigrationError, match="something still depends on it"):
        migrator.up()
    assert routines(conn) == ["wallet_core.one()", "wallet_core.two()"]


def test_up_stores_the_service_timeouts_on_wallet_app_for_this_database_only(
    db: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    url = conninfo_of(db)

    def settings() -> list[str]:
        row = db.execute(
            "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 'wallet_app'::regrole"
            " AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
        return sorted(row[0]) if row else []

    code, output = run_main(
        capsys, "up", "--database-url", url, "--statement-timeout", "2.5",
        "--idle-in-transaction-timeout", "30",
    )  # fmt: skip
    assert code == 0, output
    assert "set statement_timeout = 2500ms for role wallet_app in this database" in output
    assert settings() == [
        "idle_in_transaction_session_timeout=30000ms",
        "statement_timeout=2500ms",
    ]
    with psycopg.connect(url, user="wallet_app") as service:
        assert service.execute("SHOW statement_timeout").fetchone() == ("2500ms",)
    with psycopg.connect(url) as superuser:  # another role: untouched
        assert superuser.execute("SHOW statement_timeout").fetchone() == ("0",)
    code, output = run_main(
        capsys, "up", "--database-url", url, "--statement-timeout", "2.5",
        "--idle-in-transaction-timeout", "30",
    )  # fmt: skip
    assert "set statement_timeout" not in output


def test_timeouts_come_from_the_environment_and_bad_ones_are_named(
    db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = conninfo_of(db)
    monkeypatch.setenv("WALLET_DB_STATEMENT_TIMEOUT", "3")
    code, output = run_main(capsys, "up", "--database-url", url)
    assert code == 0, output
    assert "set statement_timeout = 3000ms for role wallet_app" in output
    with psycopg.connect(url, user="wallet_app") as service:
        assert service.execute("SHOW statement_timeout").fetchone() == ("3s",)

    monkeypatch.setenv("WALLET_MIGRATE_DDL_LOCK_TIMEOUT", "soon")
    code, output = run_main(capsys, "up", "--database-url", url)
    assert code == 2
    assert "WALLET_MIGRATE_DDL_LOCK_TIMEOUT must be a number of seconds, not 'soon'" in output
    monkeypatch.delenv("WALLET_MIGRATE_DDL_LOCK_TIMEOUT")
    code, output = run_main(capsys, "up", "--database-url", url, "--statement-timeout", "-1")
    assert code == 2
    assert "must be at least 0 seconds" in output


def test_a_fresh_install_says_no_notice_about_objects_that_never_existed(
    conn: psycopg.Connection, url: str
) -> None:
    """0005 drops the first edition's functions with DROP FUNCTION IF EXISTS: on a fresh
    install PostgreSQL notes each as 'does not exist, skipping', which is not news."""
    said: list[str] = []
    migrate.Migrator(url, out=said.append).up()

    assert "applied 0005_typed_requests_one_write_idempotency.sql" in " ".join(said)
    assert [line for line in said if "notice" in line] == []


def test_other_notices_of_a_file_are_still_said(
    conn: psycopg.Connection, url: str, tmp_path: Path
) -> None:
    tree = sql_tree(
        tmp_path,
        {
            "0001_talk.sql": "DROP TABLE IF EXISTS never_was;\n"
            "CREATE TABLE IF NOT EXISTS counter (id int);\n"
            "CREATE TABLE IF NOT EXISTS counter (id int);\n"
            "DO $$ BEGIN RAISE NOTICE 'the ledger was rebuilt'; END $$;\n"
        },
    )
    said: list[str] = []
    migrate.Migrator(url, root=tree, out=said.append).up()

    assert [line for line in said if "notice" in line] == ["  notice: the ledger was rebuilt"]


def test_each_sql_file_is_read_once_per_run(
    conn: psycopg.Connection,
    url: str,
    tree: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reads: Counter[str] = Counter()
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        if path.is_relative_to(tree):
            reads[path.name] += 1
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    once = {"0001_counter.sql": 1, "0002_count.sql": 1, "view.sql": 1}
    deploy_role = f"wallet_deploy_{uuid.uuid4().hex[:10]}"
    try:
        code, output = run_main(
            capsys, "bootstrap", "--deploy-role", deploy_role, "--database-url", url,
            "--root", str(tree),
        )  # fmt: skip
        assert code == 0, output
        assert reads == once
        for argv in (["up", "--dry-run"], ["up"], ["status"]):
            reads.clear()
            code, output = run_main(capsys, *argv, "--database-url", url, "--root", str(tree))
            assert code == 0, output
            assert reads == once, argv
    finally:
        conn.execute(f'DROP ROLE IF EXISTS "{deploy_role}"')


def test_the_engine_alone_applies_files_and_knows_no_role(
    conn: psycopg.Connection, url: str, tree: Path
) -> None:
    """app.ops.migrations without the wallet's policy: files applied and recorded, nothing
    handed to an owner, no service role touched."""
    said: list[str] = []
    applied = migrations.Migrator(url, root=tree, out=said.append).up()

    assert applied == ["0001_counter.sql", "0002_count.sql", "view.sql"]
    assert len(history(conn)) == 3
    assert not any("wallet_owner" in line or "wallet_app" in line for line in said), said
    owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'counter'")
    assert owner.fetchone() == (conn.info.user,)


def test_role_names_live_in_roles_py_only() -> None:
    """The SQL of app/ops gets every role name from the constants of app/ops/roles.py."""
    names = (roles.OWNER_ROLE, roles.SERVICE_ROLE, roles.DEPLOY_ROLE)
    files = sorted((ROOT / "app" / "ops" / "sql").glob("*.sql"))
    assert files
    assert [f.name for f in files if any(name in f.read_text() for name in names)] == []
