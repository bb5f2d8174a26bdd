-- lakegate control plane, part 3: requests only lakegate can carry out (create_snapshot, optimize_table).
--
-- The procedure sends a NON-transactional logical message (prefix 'mooncake'), which the replication
-- stream delivers at once even while the caller's transaction is open, then polls
-- mooncake.request_results until lakegate writes the answer, or mooncake.request_timeout passes.
-- Works the same whether the CALL arrives through lakegate or straight on PostgreSQL.

-- mooncake.request_timeout: an interval ('60s', '500ms', '2min'; a bare number means seconds). Default 60 s.
CREATE OR REPLACE FUNCTION mooncake._request_timeout() RETURNS interval
LANGUAGE plpgsql STABLE AS $$
DECLARE
  raw text := nullif(btrim(coalesce(current_setting('mooncake.request_timeout', true), '')), '');
  t interval;
BEGIN
  IF raw IS NULL THEN
    RETURN interval '60 seconds';
  END IF;
  BEGIN
    t := raw::interval;
  EXCEPTION WHEN others THEN
    t := NULL;
  END;
  IF t IS NULL OR t <= interval '0' THEN
    RAISE EXCEPTION 'invalid value for mooncake.request_timeout: "%"', raw
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use a positive interval such as ''60s'' or ''500ms''.';
  END IF;
  RETURN t;
END $$;

CREATE OR REPLACE FUNCTION mooncake._request(p_kind text, p_mirror regclass, p_args jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  who name := mooncake._session_role();
  m record;
  label text;
  timeout interval;
  deadline timestamptz;
  rid bigint;
  res record;
BEGIN
  SELECT r.id, r.state, r.error, r.mirror_schema, r.mirror_name, c.relowner INTO m
    FROM mooncake.mirrors r JOIN pg_catalog.pg_class c ON c.oid = r.mirror_oid
   WHERE r.mirror_oid = p_mirror AND r.state <> 'dropping';
  IF NOT FOUND THEN
    RAISE EXCEPTION '"%" is not a lakegate mirror', p_mirror USING ERRCODE = 'wrong_object_type';
  END IF;
  label := mooncake._qname(m.mirror_schema, m.mirror_name);

  -- create_snapshot reads the mirror; optimize_table is maintenance (VACUUM's rule: owner, or MAINTAIN on 17+)
  IF p_kind = 'create_snapshot' AND NOT has_table_privilege(who, p_mirror, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for table %', m.mirror_name USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_kind = 'optimize_table' AND NOT (pg_has_role(who, m.relowner, 'USAGE')
       OR (current_setting('server_version_num')::int >= 170000 AND has_table_privilege(who, p_mirror, 'MAINTAIN'))) THEN
    RAISE EXCEPTION 'must be owner of mirror %', label USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF m.state = 'failed' THEN
    RAISE EXCEPTION 'lakegate mirror % has failed: %', label, coalesce(m.error, 'unknown error')
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = format('Drop and re-create it: CALL mooncake.drop_table(%L);', label);
  END IF;
  -- the poll below must see lakegate's answer, committed after this transaction began
  IF current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
    RAISE EXCEPTION 'mooncake.% cannot wait for lakegate inside a % transaction', p_kind,
      upper(current_setting('transaction_isolation'))
      USING ERRCODE = 'invalid_transaction_state', HINT = 'Call it outside the transaction or in a READ COMMITTED one.';
  END IF;
  timeout := mooncake._request_timeout();

  -- random rather than a sequence: nextval() is not allowed in read-only transactions
  rid := 1 + floor(random() * 9007199254740990)::bigint;
  IF NOT mooncake._emit(false, jsonb_build_object('v', 1, 'kind', p_kind, 'id', rid, 'mirror_id', m.id, 'mirror', label,
                                                  'lsn', pg_catalog.pg_current_wal_insert_lsn()::text) || coalesce(p_args, '{}')) THEN
    RAISE EXCEPTION 'mooncake.% needs wal_level = logical (it is %)', p_kind, current_setting('wal_level')
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;

  deadline := clock_timestamp() + timeout;
  LOOP
    SELECT q.ok, q.error, q.sqlstate INTO res FROM mooncake.request_results q WHERE q.id = rid;
    IF FOUND THEN
      IF current_setting('transaction_read_only') = 'off' THEN
        DELETE FROM mooncake.request_results WHERE id = rid;
      END IF;
      IF res.ok THEN
        RETURN;
      END IF;
      RAISE EXCEPTION 'lakegate could not % %: %', replace(p_kind, '_', ' '), label, coalesce(res.error, 'unknown error')
        USING ERRCODE = coalesce(nullif(res.sqlstate, ''), 'XX000');
    END IF;
    IF clock_timestamp() >= deadline THEN
      RAISE EXCEPTION 'lakegate did not answer %(%) within % s; is lakegate running?', p_kind, quote_literal(label),
        trim_scale(round(extract(epoch FROM timeout)::numeric, 3))
        USING ERRCODE = 'system_error',
              DETAIL = 'lakegate answers mooncake requests it reads from its logical replication slot.',
              HINT = 'Check that lakegate is running and replicating from this database; mooncake.request_timeout sets how long to wait.';
    END IF;
    PERFORM pg_catalog.pg_sleep(0.02);
  END LOOP;
END $$;

-- CALL mooncake.create_snapshot('trades_iceberg'): returns once everything committed before the call
-- is durable in the mirror's Iceberg table.
CREATE OR REPLACE PROCEDURE mooncake.create_snapshot(mirror text)
LANGUAGE plpgsql AS $$
DECLARE rel regclass;
BEGIN
  rel := to_regclass(mirror);
  IF rel IS NULL THEN
    RAISE EXCEPTION 'relation "%" does not exist', mirror USING ERRCODE = 'undefined_table';
  END IF;
  PERFORM mooncake._request('create_snapshot', rel, NULL);
END $$;

-- CALL mooncake.optimize_table('trades_iceberg', 'full'): compacts now. 'data' rewrites small data
-- files and applies deletes; 'full' also rewrites the rest.
CREATE OR REPLACE PROCEDURE mooncake.optimize_table(mirror text, mode text DEFAULT 'full')
LANGUAGE plpgsql AS $$
DECLARE rel regclass;
BEGIN
  IF mode IS NULL OR lower(mode) NOT IN ('data', 'full') THEN
    RAISE EXCEPTION 'invalid optimize mode "%"', mode
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''data'' or ''full''.';
  END IF;
  rel := to_regclass(mirror);
  IF rel IS NULL THEN
    RAISE EXCEPTION 'relation "%" does not exist', mirror USING ERRCODE = 'undefined_table';
  END IF;
  PERFORM mooncake._request('optimize_table', rel, jsonb_build_object('mode', lower(mode)));
END $$;
