# psycopg2 querying the mirror sales_iceberg through lakegate, compared with the same statements on the source
# table sales on Postgres directly. Run with the Debian interpreter (python3-psycopg2):
#   /usr/bin/python3 test/clients/mirror_psycopg2_check.py '<lakegate dsn>' '<postgres dsn>'
# Prints "OK <check>" per check; on the first failure prints "FAIL <check>: <why>" and exits 1.
import sys

import psycopg2
import psycopg2.extensions as ext

lake_dsn, direct_dsn = sys.argv[1], sys.argv[2]
current = "connect"


def check(ok, why):
    if not ok:
        raise AssertionError(why)


def done():
    print("OK " + current, flush=True)


def source(sql):
    return sql.replace("sales_iceberg", "sales")


def answer(conn, sql, params=None):
    """rows as psycopg2 converts them, plus the column descriptions (name, type_code)"""
    cur = conn.cursor()
    cur.execute(sql, params)
    rows = cur.fetchall()
    desc = [(d.name, d.type_code) for d in cur.description]
    cur.close()
    return rows, desc


def same(sql, params=None):
    got = answer(lake, sql, params)
    want = answer(direct, source(sql), params)
    check(len(want[0]) > 0, "rows expected from " + sql)
    check(got == want, "%s: lakegate %r vs postgres %r" % (sql, got, want))


try:
    lake = psycopg2.connect(lake_dsn)
    direct = psycopg2.connect(direct_dsn)
    done()

    # psycopg2 opens a transaction block (BEGIN) before the first statement
    current = "queries inside psycopg2's implicit transaction"
    same("select region, count(*), sum(amount), avg(amount), max(sold_tz) from sales_iceberg group by region order by region")
    check(lake.get_transaction_status() == ext.TRANSACTION_STATUS_INTRANS, "in a transaction")
    same("select * from sales_iceberg where id < 20 order by id")
    lake.commit()
    direct.commit()
    done()

    current = "parameters (client-side binding)"
    same("select id, amount, sold_on, tags, meta from sales_iceberg where region = %s and sold_on >= %s and id = any(%s) order by id",
         ("north", "2024-01-15", [4, 8, 16, 32, 64, 128, 256]))
    same("select count(*) from sales_iceberg where product is not distinct from %s", (None,))
    lake.commit()
    direct.commit()
    done()

    current = "autocommit"
    lake.autocommit = True
    direct.autocommit = True
    same("select paid, count(*), min(score), max(big) from sales_iceberg group by paid order by paid")
    check(lake.get_transaction_status() == ext.TRANSACTION_STATUS_IDLE, "idle")
    lake.autocommit = False
    direct.autocommit = False
    done()

    current = "named (server-side) cursor over a mirror: DECLARE/FETCH answer like Postgres"
    # psycopg2 sends DECLARE "c1" CURSOR WITHOUT HOLD FOR … in its transaction, then FETCH FORWARD n
    lc = lake.cursor(name="c1")
    dc = direct.cursor(name="c1")
    lc.itersize = dc.itersize = 7
    lc.execute("select id, region, amount, sold_tz from sales_iceberg where id <= 60 order by id")
    dc.execute("select id, region, amount, sold_tz from sales where id <= 60 order by id")
    check(lc.fetchmany(5) == dc.fetchmany(5), "fetchmany")
    check(lc.fetchone() == dc.fetchone(), "fetchone")
    rest = list(lc)
    check(rest == list(dc) and len(rest) == 54, "iteration in FETCH FORWARD 7 steps: %d rows" % len(rest))
    check([d.name for d in lc.description] == [d.name for d in dc.description], "description")
    lc.close()
    dc.close()
    lake.commit()
    direct.commit()
    # WITH HOLD declared inside the transaction psycopg2 opens: refused with a clear error
    cur = lake.cursor(name="h1", withhold=True)
    try:
        cur.execute("select id from sales_iceberg order by id")
        cur.fetchmany(5)
        check(False, "DECLARE … WITH HOLD inside a transaction should be refused")
    except psycopg2.Error as e:
        check(e.pgcode == "0A000", "0A000, got %s %s" % (e.pgcode, e.pgerror))
    lake.rollback()
    done()

    current = "an error aborts the transaction like Postgres, rollback recovers"
    for conn, tab in ((lake, "sales_iceberg"), (direct, "sales")):
        cur = conn.cursor()
        try:
            cur.execute("select id / (qty - qty) from " + tab)
            check(False, "division by zero expected")
        except psycopg2.Error as e:
            check(e.pgcode == "22012", "22012, got %s" % e.pgcode)
        check(conn.get_transaction_status() == ext.TRANSACTION_STATUS_INERROR, "%s: in error, got %s" % (tab, conn.get_transaction_status()))
        try:
            cur.execute("select 1 from " + tab)
            check(False, "aborted transaction expected")
        except psycopg2.Error as e:
            check(e.pgcode == "25P02", "25P02 on %s, got %s" % (tab, e.pgcode))
        conn.rollback()
        cur = conn.cursor()
        cur.execute("select count(*) from " + tab)
        check(cur.fetchone() == (300,), "after rollback")
        conn.rollback()
    done()

    current = "writes to the source are seen by the next mirror query"
    dcur = direct.cursor()
    dcur.execute("update sales set amount = amount + 1 where id = 5")
    direct.commit()
    same("select id, amount from sales_iceberg where id = 5")
    dcur.execute("update sales set amount = amount - 1 where id = 5")
    direct.commit()
    lake.commit()
    done()
except Exception as e:
    print("FAIL %s: %s" % (current, e), flush=True)
    sys.exit(1)
