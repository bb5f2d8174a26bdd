-- lakegate control plane, part 2: mirrors as catalog objects.
--
-- A mirror is a VIEW with exactly the source's columns and types over mooncake.mirror_scan(), a
-- set-returning function that always raises. \d, information_schema, JDBC metadata and pg_dump see an
-- ordinary relation; reading it on PostgreSQL fails loudly (lakegate answers those queries from
-- Iceberg instead). The view's WHERE clause calls mooncake.mirror_guard(), an IMMUTABLE function
-- that raises too: the planner folds it, so a query fails while being planned even when the executor
-- would never reach the scan (LIMIT 0, a join with an empty table, EXISTS).
--
-- Privilege model: public entry points are SECURITY INVOKER procedures that resolve names with the
-- caller's search_path, then call SECURITY DEFINER helpers (owned by the role that ran the
-- migrations) which check privileges against the session's role (SET ROLE, else the login user).
-- Mirror views are owned by the source's owner and carry the source's privileges.

CREATE OR REPLACE FUNCTION mooncake._qname(p_schema text, p_name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT quote_ident(p_schema) || '.' || quote_ident(p_name) $$;

-- The role privilege checks run against: inside a SECURITY DEFINER function current_user is the
-- function's owner, so use what the session itself is acting as.
CREATE OR REPLACE FUNCTION mooncake._session_role() RETURNS name
LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting('role'), 'none'), session_user)::name $$;

-- DDL run by these functions fires the event triggers again; this transaction-local flag makes the
-- triggers ignore it. Returns the previous value for _internal_end.
CREATE OR REPLACE FUNCTION mooncake._internal_begin() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE prev text := coalesce(current_setting('mooncake.internal', true), '');
BEGIN
  PERFORM set_config('mooncake.internal', 'on', true);
  RETURN prev;
END $$;

CREATE OR REPLACE FUNCTION mooncake._internal_end(p_prev text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('mooncake.internal', coalesce(p_prev, ''), true);
END $$;

CREATE OR REPLACE FUNCTION mooncake._is_internal() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('mooncake.internal', true), '') = 'on' $$;

---------------------------------------------------------------------------------------------------
-- Reading a mirror on PostgreSQL

CREATE OR REPLACE FUNCTION mooncake.mirror_scan(mirror text) RETURNS SETOF record
LANGUAGE plpgsql VOLATILE AS $$
DECLARE parts text[] := parse_ident(mirror);
BEGIN
  RAISE EXCEPTION '"%" is a lakegate mirror; query it through lakegate', parts[array_upper(parts, 1)]
    USING ERRCODE = 'feature_not_supported',
          DETAIL = format('%s is kept in Apache Iceberg files that only lakegate reads; PostgreSQL holds no rows for it.', mirror),
          HINT = 'Connect to lakegate (the PostgreSQL-protocol proxy in front of this database) and run the query there.';
END $$;

-- IMMUTABLE on purpose: the planner evaluates it while folding constants (see the header).
CREATE OR REPLACE FUNCTION mooncake.mirror_guard(mirror text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE parts text[] := parse_ident(mirror);
BEGIN
  RAISE EXCEPTION '"%" is a lakegate mirror; query it through lakegate', parts[array_upper(parts, 1)]
    USING ERRCODE = 'feature_not_supported',
          DETAIL = format('%s is kept in Apache Iceberg files that only lakegate reads; PostgreSQL holds no rows for it.', mirror),
          HINT = 'Connect to lakegate (the PostgreSQL-protocol proxy in front of this database) and run the query there.';
END $$;

---------------------------------------------------------------------------------------------------
-- What can be mirrored

-- Supported: bool, int2/4/8, float4/8, numeric, text/varchar/bpchar, bytea, date, time, timestamp,
-- timestamptz, interval, uuid, json, jsonb; IvorySQL's Oracle base types with the same representations
-- (ivorysql.md §3, §9); enums; domains over supported types; 1-D arrays of any of these.
CREATE OR REPLACE FUNCTION mooncake._type_ok(p_type oid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  t record;
  seen_array boolean := false;
BEGIN
  FOR i IN 1..32 LOOP
    SELECT p.typtype, p.typbasetype, p.typelem, p.typname, n.nspname,
           EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = p.typelem AND e.typarray = p.oid) AS is_array
      INTO t
      FROM pg_catalog.pg_type p JOIN pg_catalog.pg_namespace n ON n.oid = p.typnamespace
     WHERE p.oid = p_type;
    IF NOT FOUND THEN RETURN false; END IF;
    IF t.typtype = 'd' THEN
      p_type := t.typbasetype;
    ELSIF t.is_array THEN
      IF seen_array THEN RETURN false; END IF;
      seen_array := true;
      p_type := t.typelem;
    ELSIF t.typtype = 'e' THEN
      RETURN true;
    ELSE
      RETURN t.typtype = 'b' AND (
        p_type IN (16, 21, 23, 20, 700, 701, 1700, 25, 1043, 1042, 17, 1082, 1083, 1114, 1184, 1186, 2950, 114, 3802)
        OR (t.nspname = 'sys' AND t.typname IN ('number', 'binary_float', 'binary_double', 'oradate', 'oratimestamp',
              'oratimestamptz', 'oratimestampltz', 'yminterval', 'dsinterval', 'oracharbyte', 'oracharchar',
              'oravarcharbyte', 'oravarcharchar')));
    END IF;
  END LOOP;
  RETURN false;
END $$;

-- The source's columns as the registry and the CDC messages describe them. `type` is format_type()
-- text (for display and for the view definition); consumers should go by type_oid/typmod.
-- `key`: part of the replica identity index, else of the primary key.
CREATE OR REPLACE FUNCTION mooncake._columns(p_rel regclass) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'attnum', a.attnum,
           'name', a.attname,
           'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
           'type_oid', a.atttypid::bigint,
           'typmod', a.atttypmod,
           'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                             THEN mooncake._qname(cn.nspname, co.collname) END,
           'not_null', a.attnotnull,
           'key', coalesce(a.attnum = ANY (k.indkey::int2[]), false),
           'generated', a.attgenerated <> ''
         ) ORDER BY a.attnum), '[]'::jsonb)
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
    LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
    LEFT JOIN LATERAL (
      SELECT i.indkey FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
       WHERE i.indrelid = p_rel AND CASE WHEN c.relreplident = 'i' THEN i.indisreplident ELSE i.indisprimary END
       LIMIT 1) k ON true
   WHERE a.attrelid = p_rel AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- Name, type, typmod and collation of each column: what must match between source and mirror view.
CREATE OR REPLACE FUNCTION mooncake._shape(p_rel regclass) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_array(a.attname, a.atttypid::bigint, a.atttypmod, a.attcollation::bigint)
                  ORDER BY a.attnum), '[]'::jsonb)
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = p_rel AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- Leaf partitions of a partitioned source with the predicate that selects their rows from the root:
-- detaching or dropping one removes rows from the root without any DELETE in the WAL.
CREATE OR REPLACE FUNCTION mooncake._partitions(p_rel regclass) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'oid', c.oid::bigint,
           'name', mooncake._qname(n.nspname, c.relname),
           'predicate', pg_catalog.pg_get_partition_constraintdef(c.oid)
         ) ORDER BY c.oid), '[]'::jsonb)
    FROM pg_catalog.pg_partition_tree(p_rel) pt
    JOIN pg_catalog.pg_class c ON c.oid = pt.relid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE pt.isleaf AND pt.relid <> p_rel
$$;

-- Refuse (or, when p_action = 'alter', block the DDL that would make) a source lakegate cannot mirror.
-- p_mirror names the mirror in messages.
CREATE OR REPLACE FUNCTION mooncake._check_source(p_rel regclass, p_action text, p_mirror text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  c record;
  col record;
  label text;
  creating boolean := p_action = 'create';
  drop_hint text := format('Drop the mirror first: CALL mooncake.drop_table(%L);', p_mirror);
  supported text := 'Supported: boolean, smallint, integer, bigint, real, double precision, numeric, text, varchar, char, '
                    'bytea, date, time, timestamp, timestamptz, interval, uuid, json, jsonb, enums, domains over '
                    'these, and one-dimensional arrays of them.';
BEGIN
  SELECT cl.relkind, cl.relpersistence, cl.relispartition, cl.relrowsecurity, n.nspname, cl.relname
    INTO c FROM pg_catalog.pg_class cl JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
   WHERE cl.oid = p_rel;
  label := mooncake._qname(c.nspname, c.relname);

  IF c.relkind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot mirror %: it is a %', label,
      CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                     WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' WHEN 'c' THEN 'composite type'
                     ELSE 'relation that is not a table' END
      USING ERRCODE = 'wrong_object_type';
  END IF;
  IF c.nspname IN ('pg_catalog', 'information_schema', 'mooncake') OR c.nspname LIKE 'pg\_toast%' THEN
    RAISE EXCEPTION 'cannot mirror %: system tables cannot be mirrored', label USING ERRCODE = 'feature_not_supported';
  END IF;
  IF c.relispartition THEN
    IF creating THEN
      RAISE EXCEPTION 'cannot mirror %: it is a partition of %', label, pg_catalog.pg_partition_root(p_rel)
        USING ERRCODE = 'feature_not_supported',
              HINT = format('Mirror the partitioned table %s: changes to partitions are published as changes '
                            'to their root (publish_via_partition_root).', pg_catalog.pg_partition_root(p_rel));
    END IF;
    RAISE EXCEPTION 'cannot make % a partition: it has lakegate mirror %', label, p_mirror
      USING ERRCODE = 'feature_not_supported', HINT = drop_hint;
  END IF;
  IF c.relpersistence <> 'p' THEN
    IF creating THEN
      RAISE EXCEPTION 'cannot mirror %: % tables are not logically replicated', label,
        CASE c.relpersistence WHEN 't' THEN 'temporary' ELSE 'unlogged' END
        USING ERRCODE = 'feature_not_supported';
    END IF;
    RAISE EXCEPTION 'cannot make % unlogged: it has lakegate mirror %', label, p_mirror
      USING ERRCODE = 'feature_not_supported', HINT = drop_hint;
  END IF;
  IF c.relrowsecurity THEN
    IF creating THEN
      RAISE EXCEPTION 'cannot mirror %: it has row-level security enabled', label
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'lakegate does not apply row security policies, so the mirror would show rows they hide.';
    END IF;
    RAISE EXCEPTION 'cannot enable row-level security on %: it has lakegate mirror %', label, p_mirror
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'lakegate does not apply row security policies, so the mirror would show rows they hide.',
            HINT = drop_hint;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = p_rel AND attnum > 0 AND NOT attisdropped) THEN
    RAISE EXCEPTION 'cannot mirror %: it has no columns', label USING ERRCODE = 'feature_not_supported';
  END IF;

  FOR col IN
    SELECT a.attname, a.atttypid, a.atttypmod, a.attndims, a.attgenerated
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = p_rel AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum
  LOOP
    IF NOT mooncake._type_ok(col.atttypid) OR col.attndims > 1 THEN
      IF creating THEN
        RAISE EXCEPTION 'column "%" of % has type %, which lakegate cannot mirror', col.attname, label,
          pg_catalog.format_type(col.atttypid, col.atttypmod) || CASE WHEN col.attndims > 1 THEN ' (multi-dimensional)' ELSE '' END
          USING ERRCODE = 'feature_not_supported', HINT = supported;
      END IF;
      RAISE EXCEPTION 'column "%" of % would have type %, which lakegate mirror % cannot hold', col.attname, label,
        pg_catalog.format_type(col.atttypid, col.atttypmod) || CASE WHEN col.attndims > 1 THEN ' (multi-dimensional)' ELSE '' END,
        p_mirror
        USING ERRCODE = 'feature_not_supported', HINT = supported || ' ' || drop_hint;
    END IF;
    -- logical replication never publishes virtual generated columns, and stored ones only from PG 18
    -- (publication option publish_generated_columns)
    IF col.attgenerated = 'v' OR (col.attgenerated = 's' AND current_setting('server_version_num')::int < 180000) THEN
      IF creating THEN
        RAISE EXCEPTION 'cannot mirror %: column "%" is a % generated column, which logical replication does not publish',
          label, col.attname, CASE col.attgenerated WHEN 'v' THEN 'virtual' ELSE 'stored' END
          USING ERRCODE = 'feature_not_supported';
      END IF;
      RAISE EXCEPTION 'column "%" of % would be a % generated column, which logical replication does not publish to lakegate mirror %',
        col.attname, label, CASE col.attgenerated WHEN 'v' THEN 'virtual' ELSE 'stored' END, p_mirror
        USING ERRCODE = 'feature_not_supported', HINT = drop_hint;
    END IF;
  END LOOP;
END $$;

-- Updates and deletes reach lakegate with the old row's replica identity; a table without a primary
-- key (or set to NOTHING) would send nothing usable, so switch it, and each partition, to FULL.
CREATE OR REPLACE FUNCTION mooncake._ensure_replica_identity(p_rel regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN
    -- pg_partition_tree() is empty for a table that is not partitioned
    SELECT c.oid::regclass AS rel, c.relreplident
      FROM (SELECT p_rel::oid AS relid, 0 AS level
            UNION SELECT relid, level FROM pg_catalog.pg_partition_tree(p_rel)) pt
      JOIN pg_catalog.pg_class c ON c.oid = pt.relid
     WHERE c.relkind IN ('r', 'p')
       AND (c.relreplident = 'n'
            OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                      WHERE i.indrelid = c.oid AND i.indisprimary)))
     ORDER BY pt.level, c.oid
  LOOP
    EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', r.rel);
    RAISE NOTICE '% has %: set REPLICA IDENTITY FULL so lakegate can mirror updates and deletes', r.rel,
      CASE r.relreplident WHEN 'n' THEN 'REPLICA IDENTITY NOTHING' ELSE 'no primary key' END;
  END LOOP;
END $$;

---------------------------------------------------------------------------------------------------
-- The mirror view

CREATE OR REPLACE FUNCTION mooncake._view_sql(p_schema text, p_name text, p_columns jsonb, p_replace boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('CREATE %sVIEW %I.%I AS SELECT %s FROM mooncake.mirror_scan(%L) AS m(%s) WHERE mooncake.mirror_guard(%L)',
           CASE WHEN p_replace THEN 'OR REPLACE ' ELSE '' END, p_schema, p_name,
           string_agg(format('m.%I', c->>'name'), ', ' ORDER BY o),
           mooncake._qname(p_schema, p_name),
           string_agg(format('%I %s%s', c->>'name', c->>'type', coalesce(' COLLATE ' || (c->>'collation'), '')), ', ' ORDER BY o),
           mooncake._qname(p_schema, p_name))
    FROM jsonb_array_elements(p_columns) WITH ORDINALITY AS x(c, o)
$$;

-- Column comments follow the source.
CREATE OR REPLACE FUNCTION mooncake._sync_comments(p_source regclass, p_view regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT a.attname, pg_catalog.col_description(p_source, a.attnum) AS want,
           pg_catalog.col_description(p_view, va.attnum) AS have
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_attribute va ON va.attrelid = p_view AND va.attname = a.attname
     WHERE a.attrelid = p_source AND a.attnum > 0 AND NOT a.attisdropped
  LOOP
    IF r.want IS DISTINCT FROM r.have THEN
      EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', p_view, r.attname, r.want);
    END IF;
  END LOOP;
END $$;

-- A relation's privileges as a sorted array of [grantee, privilege, grantable, column] (column '' for
-- table-level entries; grantee 'PUBLIC' or a quoted role name). Grantors are left out: the mirror's
-- grants are all made by its owner.
CREATE OR REPLACE FUNCTION mooncake._acl(p_rel regclass) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(e ORDER BY e::text), '[]'::jsonb) FROM (
    SELECT DISTINCT jsonb_build_array(CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,
                                      x.privilege_type, x.is_grantable, x.col) AS e
      FROM (
        SELECT a.grantee, a.privilege_type, a.is_grantable, '' AS col
          FROM pg_catalog.pg_class c,
               LATERAL pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
         WHERE c.oid = p_rel
        UNION ALL
        SELECT a.grantee, a.privilege_type, a.is_grantable, quote_ident(att.attname)
          FROM pg_catalog.pg_attribute att, LATERAL pg_catalog.aclexplode(att.attacl) a
         WHERE att.attrelid = p_rel AND att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL
      ) x LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
  ) s
$$;

-- Make the mirror view's privileges equal to its source's. A direct GRANT/REVOKE on the mirror is
-- undone with a NOTICE (the view differs from what was last copied although the source did not change).
CREATE OR REPLACE FUNCTION mooncake._sync_acl(p_id bigint, p_quiet boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  m record;
  want jsonb;
  have jsonb;
  e jsonb;
  revoked text[];           -- [grantee, privilege, column] of each REVOKE issued
BEGIN
  SELECT id, mirror_oid, source_oid, acl INTO m FROM mooncake.mirrors WHERE id = p_id;
  IF m.mirror_oid IS NULL OR m.source_oid IS NULL THEN RETURN; END IF;
  want := mooncake._acl(m.source_oid);
  have := mooncake._acl(m.mirror_oid);
  IF want <> have THEN
    IF NOT p_quiet AND have <> m.acl THEN
      RAISE NOTICE 'privileges on lakegate mirror % follow its source %; the change made on the mirror was undone',
        m.mirror_oid, m.source_oid
        USING HINT = format('GRANT or REVOKE on %s instead.', m.source_oid);
    END IF;
    -- revoke every (grantee, privilege, column) whose entry differs, then grant what the source has
    SELECT coalesce(array_agg(DISTINCT jsonb_build_array(h->0, h->1, h->3)::text), '{}') INTO revoked
      FROM jsonb_array_elements(have) h WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(want) w WHERE w = h);
    FOR e IN SELECT k::jsonb FROM unnest(revoked) k LOOP
      EXECUTE format('REVOKE %s%s ON %s FROM %s CASCADE', e->>1,
                     CASE WHEN e->>2 <> '' THEN '(' || (e->>2) || ')' ELSE '' END, m.mirror_oid, e->>0);
    END LOOP;
    FOR e IN SELECT w FROM jsonb_array_elements(want) w
              WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(have) h WHERE h = w)
                 OR jsonb_build_array(w->0, w->1, w->3)::text = ANY (revoked)
    LOOP
      EXECUTE format('GRANT %s%s ON %s TO %s%s', e->>1,
                     CASE WHEN e->>3 <> '' THEN '(' || (e->>3) || ')' ELSE '' END, m.mirror_oid, e->>0,
                     CASE WHEN (e->2)::boolean THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
  END IF;
  UPDATE mooncake.mirrors SET acl = want WHERE id = p_id AND acl IS DISTINCT FROM want;
END $$;

-- Give the mirror view to the source's owner (a non-superuser install may not be allowed to).
CREATE OR REPLACE FUNCTION mooncake._sync_owner(p_source regclass, p_view regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  want oid := (SELECT relowner FROM pg_catalog.pg_class WHERE oid = p_source);
BEGIN
  IF want IS DISTINCT FROM (SELECT relowner FROM pg_catalog.pg_class WHERE oid = p_view) THEN
    EXECUTE format('ALTER VIEW %s OWNER TO %I', p_view, pg_catalog.pg_get_userbyid(want));
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'lakegate mirror % stays owned by %: %', p_view, current_user, SQLERRM
    USING HINT = format('Grant role %I to %I, or run lakegate''s migrations as a superuser.', pg_catalog.pg_get_userbyid(want), current_user);
END $$;

---------------------------------------------------------------------------------------------------
-- Logical messages (prefix 'mooncake') for lakegate's CDC stream

-- transactional: delivered at commit, in order with the transaction's row changes (DDL).
-- non-transactional: delivered at once, even from inside an open transaction (requests).
CREATE OR REPLACE FUNCTION mooncake._emit(p_transactional boolean, p_payload jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('wal_level') <> 'logical' THEN
    RETURN false;
  END IF;
  IF NOT p_transactional AND current_setting('server_version_num')::int >= 170000 THEN
    -- flush => true (PG 17+): do not leave the request in WAL buffers until the next flush
    EXECUTE 'SELECT pg_catalog.pg_logical_emit_message(false, $1, $2, true)' USING 'mooncake', p_payload::text;
  ELSE
    PERFORM pg_catalog.pg_logical_emit_message(p_transactional, 'mooncake', p_payload::text);
  END IF;
  RETURN true;
END $$;

---------------------------------------------------------------------------------------------------
-- table_config: pg_mooncake's JSON shape (moonlink TableConfig) where it applies

CREATE OR REPLACE FUNCTION mooncake._config_object(p_value jsonb, p_path text, p_keys text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE k text;
BEGIN
  IF jsonb_typeof(p_value) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'table_config%: expected a JSON object, got %', p_path, coalesce(jsonb_typeof(p_value), 'nothing')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR k IN SELECT jsonb_object_keys(p_value) LOOP
    IF NOT k = ANY (p_keys) THEN
      RAISE EXCEPTION 'table_config%: unknown key "%"', p_path, k
        USING ERRCODE = 'invalid_parameter_value', HINT = format('Known keys: %s.', array_to_string(p_keys, ', '));
    END IF;
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION mooncake._config_value(p_value jsonb, p_path text, p_type text, p_required boolean) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
    IF p_required THEN
      RAISE EXCEPTION 'table_config%: required', p_path USING ERRCODE = 'invalid_parameter_value';
    END IF;
  ELSIF jsonb_typeof(p_value) <> p_type THEN
    RAISE EXCEPTION 'table_config%: expected a JSON %, got %', p_path, p_type, jsonb_typeof(p_value)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;

-- {
--   "mooncake": {"append_only": bool, "skip_data_compaction": bool, "skip_index_merge": bool},
--   "iceberg":  {"deletion_vectors": bool,   -- write Iceberg v3 with deletion vectors (default v2 + position deletes)
--                "storage_config": {"fs": {"root_directory": "/path"}}
--                               or {"s3": {"bucket": "b", "prefix", "region", "endpoint", "access_key_id", "secret_access_key"}}},
--   "wal": …                                 -- moonlink's own WAL: accepted and ignored
-- }
CREATE OR REPLACE FUNCTION mooncake._table_config(p_config jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  k text;
  sc jsonb;
BEGIN
  IF p_config IS NULL OR jsonb_typeof(p_config) = 'null' THEN
    RETURN '{}'::jsonb;
  END IF;
  PERFORM mooncake._config_object(p_config, '', ARRAY['mooncake', 'iceberg', 'wal']);
  IF p_config ? 'mooncake' THEN
    PERFORM mooncake._config_object(p_config->'mooncake', '.mooncake', ARRAY['append_only', 'skip_data_compaction', 'skip_index_merge']);
    FOR k IN SELECT jsonb_object_keys(p_config->'mooncake') LOOP
      PERFORM mooncake._config_value(p_config->'mooncake'->k, '.mooncake.' || k, 'boolean', false);
    END LOOP;
  END IF;
  IF p_config ? 'iceberg' THEN
    PERFORM mooncake._config_object(p_config->'iceberg', '.iceberg', ARRAY['deletion_vectors', 'storage_config']);
    PERFORM mooncake._config_value(p_config->'iceberg'->'deletion_vectors', '.iceberg.deletion_vectors', 'boolean', false);
    sc := p_config->'iceberg'->'storage_config';
    IF sc IS NOT NULL THEN
      PERFORM mooncake._config_object(sc, '.iceberg.storage_config', ARRAY['fs', 's3', 'gcs']);
      IF (SELECT count(*) FROM jsonb_object_keys(sc)) <> 1 THEN
        RAISE EXCEPTION 'table_config.iceberg.storage_config: expected exactly one of "fs", "s3"'
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF sc ? 'gcs' THEN
        RAISE EXCEPTION 'table_config.iceberg.storage_config.gcs: Google Cloud Storage is not supported by lakegate'
          USING ERRCODE = 'feature_not_supported', HINT = 'Use "fs" or "s3" (any S3-compatible endpoint).';
      END IF;
      IF sc ? 'fs' THEN
        PERFORM mooncake._config_object(sc->'fs', '.iceberg.storage_config.fs', ARRAY['root_directory', 'atomic_write_dir']);
        PERFORM mooncake._config_value(sc->'fs'->'root_directory', '.iceberg.storage_config.fs.root_directory', 'string', true);
        PERFORM mooncake._config_value(sc->'fs'->'atomic_write_dir', '.iceberg.storage_config.fs.atomic_write_dir', 'string', false);
      ELSE
        PERFORM mooncake._config_object(sc->'s3', '.iceberg.storage_config.s3',
          ARRAY['bucket', 'prefix', 'region', 'endpoint', 'access_key_id', 'secret_access_key']);
        PERFORM mooncake._config_value(sc->'s3'->'bucket', '.iceberg.storage_config.s3.bucket', 'string', true);
        FOR k IN SELECT jsonb_object_keys(sc->'s3') LOOP
          PERFORM mooncake._config_value(sc->'s3'->k, '.iceberg.storage_config.s3.' || k, 'string', false);
        END LOOP;
      END IF;
    END IF;
  END IF;
  IF p_config ? 'wal' THEN
    RAISE NOTICE 'table_config.wal is ignored: lakegate keeps no write-ahead log of its own';
  END IF;
  RETURN p_config;
END $$;

---------------------------------------------------------------------------------------------------
-- create_table

CREATE OR REPLACE FUNCTION mooncake._create_mirror(p_source regclass, p_schema text, p_name text, p_src_uri text, p_config jsonb)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  who name := mooncake._session_role();
  s record;
  label text;
  src_label text;
  cfg jsonb;
  cols jsonb;
  v_rel regclass;
  new_id bigint;
  prev text;
BEGIN
  SELECT n.nspname, c.relname INTO s
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_source;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'relation with OID % does not exist', p_source::oid USING ERRCODE = 'undefined_table';
  END IF;
  src_label := mooncake._qname(s.nspname, s.relname);
  label := mooncake._qname(p_schema, p_name);

  -- the checks PostgreSQL makes for SELECT * FROM source and CREATE VIEW mirror
  IF NOT has_schema_privilege(who, s.nspname, 'USAGE') THEN
    RAISE EXCEPTION 'permission denied for schema %', s.nspname USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT has_table_privilege(who, p_source, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for table %', s.relname USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_schema IN ('pg_catalog', 'information_schema', 'mooncake') OR p_schema LIKE 'pg\_toast%' OR p_schema LIKE 'pg\_temp%' THEN
    RAISE EXCEPTION 'cannot create lakegate mirror % in system schema %', label, p_schema USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF to_regnamespace(quote_ident(p_schema)) IS NULL THEN
    RAISE EXCEPTION 'schema "%" does not exist', p_schema USING ERRCODE = 'invalid_schema_name';
  END IF;
  IF NOT has_schema_privilege(who, p_schema, 'CREATE') THEN
    RAISE EXCEPTION 'permission denied for schema %', p_schema USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF to_regclass(label) IS NOT NULL THEN
    RAISE EXCEPTION 'relation "%" already exists', p_name USING ERRCODE = 'duplicate_table';
  END IF;
  IF coalesce(p_src_uri, '') <> '' THEN
    RAISE EXCEPTION 'src_uri is not supported: lakegate mirrors tables of the database it is connected to'
      USING ERRCODE = 'feature_not_supported', HINT = 'Pass NULL as src_uri and create the mirror in the source''s database.';
  END IF;
  cfg := mooncake._table_config(p_config);
  PERFORM mooncake._check_source(p_source, 'create', label);

  prev := mooncake._internal_begin();
  PERFORM mooncake._ensure_replica_identity(p_source);
  cols := mooncake._columns(p_source);
  EXECUTE mooncake._view_sql(p_schema, p_name, cols, false);
  v_rel := to_regclass(label);
  PERFORM mooncake._sync_owner(p_source, v_rel);
  EXECUTE format('COMMENT ON VIEW %s IS %L', v_rel,
                 format('lakegate mirror of %s (Apache Iceberg); query it through lakegate', src_label));
  PERFORM mooncake._sync_comments(p_source, v_rel);

  INSERT INTO mooncake.mirrors (mirror_schema, mirror_name, mirror_oid, source_schema, source_name, source_oid,
                                src_uri, table_config, columns, partitions, created_by)
  VALUES (p_schema, p_name, v_rel, s.nspname, s.relname, p_source,
          NULL, cfg, cols, mooncake._partitions(p_source), who)
  RETURNING id INTO new_id;
  PERFORM mooncake._sync_acl(new_id, true);
  PERFORM mooncake._emit(true, jsonb_build_object('v', 1, 'kind', 'create_table', 'mirror_id', new_id,
    'mirror', label, 'source', src_label, 'source_oid', p_source::oid::bigint, 'columns', cols));
  PERFORM mooncake._internal_end(prev);
  RETURN new_id;
END $$;

-- CALL mooncake.create_table('trades_iceberg', 'trades');
-- An unqualified mirror name goes into the source's schema. Returns at once: lakegate copies the
-- table in the background; watch mooncake.columnstore_tables for state 'ready'.
CREATE OR REPLACE PROCEDURE mooncake.create_table(mirror text, source text, src_uri text DEFAULT NULL, table_config json DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
  src regclass;
  parts text[];
  m_schema text;
BEGIN
  IF mirror IS NULL OR source IS NULL THEN
    RAISE EXCEPTION 'mooncake.create_table: mirror and source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  src := to_regclass(source);   -- the caller's search_path, like FROM source
  IF src IS NULL THEN
    RAISE EXCEPTION 'relation "%" does not exist', source USING ERRCODE = 'undefined_table';
  END IF;
  parts := parse_ident(mirror);
  IF array_length(parts, 1) = 3 THEN
    IF parts[1] <> current_database() THEN
      RAISE EXCEPTION 'cross-database references are not implemented: %', mirror USING ERRCODE = 'feature_not_supported';
    END IF;
    parts := parts[2:3];
  ELSIF array_length(parts, 1) > 3 THEN
    RAISE EXCEPTION 'improper relation name (too many dotted names): %', mirror USING ERRCODE = 'syntax_error';
  END IF;
  IF array_length(parts, 1) = 2 THEN
    m_schema := parts[1];
  ELSE
    SELECT n.nspname INTO m_schema FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = src;
  END IF;
  -- identifiers longer than NAMEDATALEN-1 are truncated as PostgreSQL does
  PERFORM mooncake._create_mirror(src, m_schema::name::text, parts[array_upper(parts, 1)]::name::text, src_uri, table_config::jsonb);
END $$;

---------------------------------------------------------------------------------------------------
-- drop_table

-- The mirror is gone from the catalog; lakegate deletes its Iceberg files and then the registry row.
CREATE OR REPLACE FUNCTION mooncake._mark_dropped(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE m record;
BEGIN
  UPDATE mooncake.mirrors SET state = 'dropping', mirror_oid = NULL, updated_at = now()
   WHERE id = p_id AND state <> 'dropping'
  RETURNING id, mirror_schema, mirror_name INTO m;
  IF NOT FOUND THEN RETURN; END IF;
  -- readers of the JDBC catalog must stop seeing the table before its files disappear
  DELETE FROM mooncake.iceberg_tables WHERE table_namespace = m.mirror_schema AND table_name = m.mirror_name;
  PERFORM mooncake._emit(true, jsonb_build_object('v', 1, 'kind', 'drop_table', 'mirror_id', m.id,
    'mirror', mooncake._qname(m.mirror_schema, m.mirror_name)));
END $$;

CREATE OR REPLACE FUNCTION mooncake._drop_mirror(p_mirror regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  who name := mooncake._session_role();
  m record;
  prev text;
BEGIN
  SELECT r.id, r.created_by, c.relowner INTO m
    FROM mooncake.mirrors r JOIN pg_catalog.pg_class c ON c.oid = r.mirror_oid
   WHERE r.mirror_oid = p_mirror AND r.state <> 'dropping';
  IF NOT FOUND THEN
    RAISE EXCEPTION '"%" is not a lakegate mirror', p_mirror USING ERRCODE = 'wrong_object_type';
  END IF;
  IF NOT (pg_has_role(who, m.relowner, 'USAGE') OR who = m.created_by) THEN
    RAISE EXCEPTION 'must be owner of mirror %', p_mirror USING ERRCODE = 'insufficient_privilege';
  END IF;
  prev := mooncake._internal_begin();
  EXECUTE format('DROP VIEW %s', p_mirror);
  PERFORM mooncake._mark_dropped(m.id);
  PERFORM mooncake._internal_end(prev);
END $$;

-- CALL mooncake.drop_table('trades_iceberg'); removes the mirror; lakegate then deletes its data.
CREATE OR REPLACE PROCEDURE mooncake.drop_table(mirror text)
LANGUAGE plpgsql AS $$
DECLARE rel regclass;
BEGIN
  IF mirror IS NULL THEN
    RAISE EXCEPTION 'mooncake.drop_table: mirror must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  rel := to_regclass(mirror);
  IF rel IS NULL THEN
    RAISE EXCEPTION 'relation "%" does not exist', mirror USING ERRCODE = 'undefined_table';
  END IF;
  PERFORM mooncake._drop_mirror(rel);
END $$;

---------------------------------------------------------------------------------------------------
-- Status

-- pg_mooncake's shape, plus nothing: "table" is the mirror as schema.name.
CREATE OR REPLACE FUNCTION mooncake.list_tables()
RETURNS TABLE ("table" text, cardinality bigint, commit_lsn pg_lsn, flush_lsn pg_lsn, iceberg_warehouse_location text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT mooncake._qname(m.mirror_schema, m.mirror_name), m.row_count, m.commit_lsn, m.flush_lsn, m.location
    FROM mooncake.mirrors m
   WHERE m.state <> 'dropping'
   ORDER BY 1
$$;

CREATE OR REPLACE VIEW mooncake.columnstore_tables AS
SELECT m.id,
       quote_ident(m.mirror_schema) || '.' || quote_ident(m.mirror_name) AS "table",
       quote_ident(m.source_schema) || '.' || quote_ident(m.source_name) AS source,
       m.state,
       m.row_count,
       m.data_files,
       m.commit_lsn,
       m.flush_lsn,
       CASE WHEN m.commit_lsn IS NOT NULL THEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), m.commit_lsn) END AS lag_bytes,
       m.location AS iceberg_warehouse_location,
       m.error,
       m.created_at,
       m.updated_at
  FROM mooncake.mirrors m;
GRANT SELECT ON mooncake.columnstore_tables TO PUBLIC;

---------------------------------------------------------------------------------------------------
-- Internal functions are not for callers (the SECURITY DEFINER ones check the session's privileges
-- themselves and must stay callable from the invoker-rights procedures).
REVOKE ALL ON FUNCTION mooncake._internal_begin(), mooncake._internal_end(text), mooncake._columns(regclass),
  mooncake._partitions(regclass), mooncake._check_source(regclass, text, text), mooncake._ensure_replica_identity(regclass),
  mooncake._view_sql(text, text, jsonb, boolean), mooncake._sync_comments(regclass, regclass), mooncake._acl(regclass),
  mooncake._sync_acl(bigint, boolean), mooncake._sync_owner(regclass, regclass), mooncake._emit(boolean, jsonb),
  mooncake._table_config(jsonb), mooncake._config_object(jsonb, text, text[]), mooncake._config_value(jsonb, text, text, boolean),
  mooncake._mark_dropped(bigint), mooncake._shape(regclass), mooncake._type_ok(oid)
FROM PUBLIC;
