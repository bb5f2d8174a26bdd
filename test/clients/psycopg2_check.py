# psycopg2 through lakegate. Run with the Debian interpreter (python3-psycopg2):
#   /usr/bin/python3 test/clients/psycopg2_check.py '<libpq dsn>' <lakegate-version>
# Prints "OK <check>" per check; on the first failure prints "FAIL <check>: <why>" and exits 1.
import select
import sys
import threading
import time

import psycopg2
import psycopg2.errors
import psycopg2.extensions as ext

dsn, version = sys.argv[1], sys.argv[2]
current = "connect"


def check(ok, why):
    if not ok:
        raise AssertionError(why)


def done():
    print("OK " + current, flush=True)


try:
    conn = psycopg2.connect(dsn)
    done()

    current = "parameters (client-side binding), simple protocol"
    cur = conn.cursor()
    cur.execute("select %s::int + 1, %s::text, %s is null", (41, "héllo", None))
    check(cur.fetchone() == (42, "héllo", True), "row")
    done()

    current = "local statement inside psycopg2's implicit transaction keeps status INTRANS"
    check(conn.get_transaction_status() == ext.TRANSACTION_STATUS_INTRANS, "BEGIN sent")
    cur.execute("SHOW lakegate.version")
    check(cur.fetchone() == (version,), "version")
    check(conn.get_transaction_status() == ext.TRANSACTION_STATUS_INTRANS, "status after local answer")
    cur.execute("create table py_items (id int primary key, name text)")
    conn.commit()
    check(conn.get_transaction_status() == ext.TRANSACTION_STATUS_IDLE, "idle after commit")
    done()

    current = "COPY FROM STDIN and COPY TO STDOUT"
    import io

    cur.copy_expert("COPY py_items FROM STDIN", io.StringIO("".join(f"{i}\tname {i}\n" for i in range(1, 1001))))
    conn.commit()
    out = io.StringIO()
    cur.copy_expert("COPY (select * from py_items where id <= 3 order by id) TO STDOUT", out)
    check(out.getvalue() == "1\tname 1\n2\tname 2\n3\tname 3\n", repr(out.getvalue()))
    conn.commit()
    done()

    current = "server-side (named) cursor fetched in chunks"
    named = conn.cursor("py_big")
    named.itersize = 300
    named.execute("select id from py_items order by id")
    total = 0
    n = 0
    for (i,) in named:
        total += i
        n += 1
    check(n == 1000 and total == 500500, f"rows {n}, sum {total}")
    named.close()
    conn.commit()
    done()

    current = "notices"
    cur.execute("DO $$ BEGIN RAISE NOTICE 'from plpgsql %', 7; END $$")
    check(any("from plpgsql 7" in m for m in conn.notices), repr(conn.notices))
    conn.commit()
    done()

    current = "errors: pgcode from upstream, rollback, connection usable"
    try:
        cur.execute("select 1/0")
        check(False, "no error")
    except psycopg2.errors.DivisionByZero as e:
        check(e.pgcode == "22012", e.pgcode)
    check(conn.get_transaction_status() == ext.TRANSACTION_STATUS_INERROR, "in error")
    conn.rollback()
    cur.execute("select 2")
    check(cur.fetchone() == (2,), "after rollback")
    conn.commit()
    done()

    current = "LISTEN/NOTIFY across two connections"
    listener = psycopg2.connect(dsn)
    listener.autocommit = True
    lcur = listener.cursor()
    lcur.execute("LISTEN py_channel")
    conn.autocommit = True
    cur.execute("NOTIFY py_channel, 'hi from psycopg2'")
    deadline = time.time() + 5
    while not listener.notifies and time.time() < deadline:
        if select.select([listener], [], [], 0.5) != ([], [], []):
            listener.poll()
    check(listener.notifies and listener.notifies[0].payload == "hi from psycopg2", repr(listener.notifies))
    listener.close()
    done()

    current = "cancel (PQcancel through lakegate)"
    timer = threading.Timer(0.5, conn.cancel)
    timer.start()
    t0 = time.time()
    try:
        cur.execute("select pg_sleep(30)")
        check(False, "not cancelled")
    except psycopg2.errors.QueryCanceled as e:
        check(e.pgcode == "57014", e.pgcode)
    check(time.time() - t0 < 10, "cancel too slow")
    cur.execute("select 3")
    check(cur.fetchone() == (3,), "after cancel")
    done()

    conn.close()
except Exception as e:  # noqa: BLE001 - report any failure as one line
    print(f"FAIL {current}: {type(e).__name__}: {e}", flush=True)
    sys.exit(1)
