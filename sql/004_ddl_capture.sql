-- lakegate control plane, part 4: keep mirrors in step with DDL on their sources (event triggers).
--
-- ddl_command_end: after ALTER TABLE / GRANT / REVOKE / COMMENT / CREATE TABLE … PARTITION OF /
-- CREATE OR REPLACE VIEW (of a mirror), refresh
-- every affected mirror in the same transaction: rebuild the view with the source's new columns, copy
-- owner, privileges and column comments, re-check what create_table checks (blocking the DDL with an
-- error if the source would stop being mirrorable), and send a transactional logical message so the
-- CDC stream sees the schema change in order with the rows around it.
-- sql_drop: a dropped source marks its mirrors failed; a dropped mirror view (DROP VIEW, DROP SCHEMA …
-- CASCADE) marks the mirror 'dropping' so lakegate deletes its files.
--
-- CREATE EVENT TRIGGER needs a superuser. Without one the triggers are skipped with a WARNING; a
-- superuser can install them later with SELECT mooncake.install_event_triggers();

-- Bring one mirror in line with its source. p_created: partitions created (empty) by the command.
CREATE OR REPLACE FUNCTION mooncake._refresh(p_id bigint, p_created oid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  m mooncake.mirrors;
  s record;
  v record;
  label text;
  src_label text;
  cols jsonb;
  old_shape jsonb;
  new_shape jsonb;
  n_old int;
  n_new int;
  v_rel regclass;
  recreated boolean := false;
  renamed boolean;
  view_comment text;
  parts jsonb;
  p jsonb;
  detail text;
BEGIN
  -- no FOR UPDATE: the DDL itself locks the source, and locking every row would make lakegate's
  -- progress updates wait for unrelated transactions
  SELECT * INTO m FROM mooncake.mirrors WHERE id = p_id;
  IF NOT FOUND OR m.state = 'dropping' OR m.source_oid IS NULL OR m.mirror_oid IS NULL THEN
    RETURN;
  END IF;
  SELECT n.nspname, c.relname INTO s
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = m.source_oid;
  IF NOT FOUND THEN RETURN; END IF;         -- dropped by this command: sql_drop handles it
  SELECT n.nspname, c.relname INTO v
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = m.mirror_oid;
  IF NOT FOUND THEN RETURN; END IF;
  label := mooncake._qname(v.nspname, v.relname);
  src_label := mooncake._qname(s.nspname, s.relname);
  renamed := v.nspname <> m.mirror_schema OR v.relname <> m.mirror_name;

  PERFORM mooncake._check_source(m.source_oid, 'alter', label);
  PERFORM mooncake._ensure_replica_identity(m.source_oid);
  cols := mooncake._columns(m.source_oid);
  v_rel := m.mirror_oid;
  old_shape := mooncake._shape(v_rel);
  new_shape := mooncake._shape(m.source_oid);

  -- CREATE OR REPLACE VIEW on the mirror by hand (same columns, another body) is put back too
  IF old_shape <> new_shape OR renamed
     OR position('mooncake.mirror_guard(' IN pg_catalog.pg_get_viewdef(v_rel)) = 0 THEN
    n_old := jsonb_array_length(old_shape);
    n_new := jsonb_array_length(new_shape);
    IF n_new >= n_old AND NOT EXISTS (SELECT 1 FROM generate_series(0, n_old - 1) g(k) WHERE old_shape->k <> new_shape->k) THEN
      -- columns added at the end (or only the mirror's name changed): replace in place
      EXECUTE mooncake._view_sql(v.nspname, v.relname, cols, true);
    ELSIF n_new = n_old
          AND NOT EXISTS (SELECT 1 FROM generate_series(0, n_old - 1) g(k) WHERE (old_shape->k) - 0 <> (new_shape->k) - 0) THEN
      -- only column names changed: rename in place (keeps objects that depend on the mirror); two
      -- passes so that swapped names do not collide
      FOR i IN 0 .. n_old - 1 LOOP
        IF old_shape->i->>0 <> new_shape->i->>0 THEN
          EXECUTE format('ALTER VIEW %s RENAME COLUMN %I TO %I', v_rel, old_shape->i->>0, 'mooncake_rename_' || i);
        END IF;
      END LOOP;
      FOR i IN 0 .. n_old - 1 LOOP
        IF old_shape->i->>0 <> new_shape->i->>0 THEN
          EXECUTE format('ALTER VIEW %s RENAME COLUMN %I TO %I', v_rel, 'mooncake_rename_' || i, new_shape->i->>0);
        END IF;
      END LOOP;
      EXECUTE mooncake._view_sql(v.nspname, v.relname, cols, true);
    ELSE
      -- dropped column, changed type: a view cannot do that in place, so drop and create it again
      view_comment := pg_catalog.obj_description(v_rel, 'pg_class');
      BEGIN
        EXECUTE format('DROP VIEW %s', v_rel);
      EXCEPTION WHEN dependent_objects_still_exist THEN
        GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
        RAISE EXCEPTION 'cannot change the columns of %: other objects depend on its lakegate mirror %', src_label, label
          USING ERRCODE = 'dependent_objects_still_exist', DETAIL = detail,
                HINT = 'Drop the dependent objects, change the table, then create them again.';
      END;
      EXECUTE mooncake._view_sql(v.nspname, v.relname, cols, false);
      v_rel := to_regclass(label);
      IF view_comment IS NOT NULL THEN
        EXECUTE format('COMMENT ON VIEW %s IS %L', v_rel, view_comment);
      END IF;
      recreated := true;
    END IF;
  END IF;
  PERFORM mooncake._sync_owner(m.source_oid, v_rel);
  PERFORM mooncake._sync_comments(m.source_oid, v_rel);

  -- partitions that came or went (matched by OID, or by name after a dump/restore)
  parts := mooncake._partitions(m.source_oid);
  FOR p IN SELECT o FROM jsonb_array_elements(m.partitions) o
            WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(parts) n WHERE n->'oid' = o->'oid' OR n->'name' = o->'name')
  LOOP
    PERFORM mooncake._emit(true, jsonb_build_object('v', 1, 'kind', 'partition_detached', 'mirror_id', m.id, 'mirror', label,
      'partition', p->>'name', 'predicate', p->>'predicate'));
  END LOOP;
  FOR p IN SELECT n FROM jsonb_array_elements(parts) n
            WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(m.partitions) o WHERE n->'oid' = o->'oid' OR n->'name' = o->'name')
  LOOP
    PERFORM mooncake._emit(true, jsonb_build_object('v', 1, 'kind', 'partition_attached', 'mirror_id', m.id, 'mirror', label,
      'partition', p->>'name', 'predicate', p->>'predicate',
      'created', (p->>'oid')::bigint = ANY (coalesce(p_created, '{}')::bigint[])));
  END LOOP;

  UPDATE mooncake.mirrors
     SET mirror_schema = v.nspname, mirror_name = v.relname, mirror_oid = v_rel,
         source_schema = s.nspname, source_name = s.relname, columns = cols, partitions = parts, updated_at = now()
   WHERE id = m.id
     AND (mirror_schema, mirror_name, mirror_oid, source_schema, source_name, columns, partitions)
         IS DISTINCT FROM (v.nspname, v.relname, v_rel, s.nspname, s.relname, cols, parts);
  PERFORM mooncake._sync_acl(m.id, recreated);
  IF renamed THEN
    UPDATE mooncake.iceberg_tables SET table_namespace = v.nspname, table_name = v.relname
     WHERE table_namespace = m.mirror_schema AND table_name = m.mirror_name;
  END IF;
  IF cols <> m.columns OR s.nspname <> m.source_schema OR s.relname <> m.source_name THEN
    PERFORM mooncake._emit(true, jsonb_build_object('v', 1, 'kind', 'alter_table', 'mirror_id', m.id, 'mirror', label,
      'source', src_label, 'source_oid', m.source_oid::oid::bigint, 'columns', cols));
  END IF;
END $$;

CREATE OR REPLACE FUNCTION mooncake._on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cmd record;
  rels oid[] := '{}';
  created oid[] := '{}';
  grants boolean := false;
  mid bigint;
  prev text;
BEGIN
  IF mooncake._is_internal() OR NOT EXISTS (SELECT 1 FROM mooncake.mirrors WHERE state <> 'dropping') THEN
    RETURN;
  END IF;
  FOR cmd IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() LOOP
    IF cmd.command_tag IN ('GRANT', 'REVOKE') THEN
      -- GRANT does not say which tables it touched: compare every mirror's privileges with its source's
      grants := grants OR upper(cmd.object_type) = 'TABLE';
    ELSIF cmd.classid = 'pg_catalog.pg_class'::regclass AND cmd.objid IS NOT NULL THEN
      rels := rels || cmd.objid;
      IF cmd.command_tag = 'CREATE TABLE' THEN
        created := created || cmd.objid;
      END IF;
      -- a partition's change concerns its root's mirror; ATTACH PARTITION names only the parent, so
      -- a partitioned table's change concerns its partitions' mirrors (to refuse attaching a source)
      IF (SELECT relispartition FROM pg_catalog.pg_class WHERE oid = cmd.objid) THEN
        rels := rels || pg_catalog.pg_partition_root(cmd.objid)::oid;
      END IF;
      rels := rels || ARRAY(SELECT relid::oid FROM pg_catalog.pg_partition_tree(cmd.objid));
    END IF;
  END LOOP;
  prev := mooncake._internal_begin();
  FOR mid IN
    SELECT id FROM mooncake.mirrors
     WHERE state <> 'dropping' AND (source_oid::oid = ANY (rels) OR mirror_oid::oid = ANY (rels))
     ORDER BY id
  LOOP
    PERFORM mooncake._refresh(mid, created);
  END LOOP;
  IF grants THEN
    FOR mid IN SELECT id FROM mooncake.mirrors WHERE state <> 'dropping' ORDER BY id LOOP
      PERFORM mooncake._sync_acl(mid, false);
    END LOOP;
  END IF;
  PERFORM mooncake._internal_end(prev);
END $$;

CREATE OR REPLACE FUNCTION mooncake._on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  o record;
  r record;
  prev text;
BEGIN
  -- DROP SCHEMA mooncake CASCADE (uninstall) takes the registry with it
  IF mooncake._is_internal() OR to_regclass('mooncake.mirrors') IS NULL THEN
    RETURN;
  END IF;
  prev := mooncake._internal_begin();
  FOR o IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects()
            WHERE classid = 'pg_catalog.pg_class'::regclass AND objsubid = 0 LOOP
    UPDATE mooncake.mirrors
       SET state = 'failed', error = format('source table %s was dropped', o.object_identity), source_oid = NULL, updated_at = now()
     WHERE source_oid::oid = o.objid AND state <> 'dropping';
    -- a dropped partition's rows left the root without DELETEs in the WAL
    FOR r IN SELECT m.id, m.mirror_schema, m.mirror_name, p AS part
               FROM mooncake.mirrors m, jsonb_array_elements(m.partitions) p
              WHERE m.state <> 'dropping' AND ((p->>'oid')::bigint = o.objid::bigint OR p->>'name' = o.object_identity) LOOP
      PERFORM mooncake._emit(true, jsonb_build_object('v', 1, 'kind', 'partition_dropped', 'mirror_id', r.id,
        'mirror', mooncake._qname(r.mirror_schema, r.mirror_name), 'partition', r.part->>'name', 'predicate', r.part->>'predicate'));
      UPDATE mooncake.mirrors
         SET partitions = (SELECT coalesce(jsonb_agg(x), '[]'::jsonb) FROM jsonb_array_elements(partitions) x WHERE x <> r.part)
       WHERE id = r.id;
    END LOOP;
  END LOOP;
  -- mirrors last, so a DROP SCHEMA that takes source and mirror leaves the mirror 'dropping'
  FOR o IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects()
            WHERE classid = 'pg_catalog.pg_class'::regclass AND objsubid = 0 LOOP
    FOR r IN SELECT id FROM mooncake.mirrors WHERE mirror_oid::oid = o.objid LOOP
      PERFORM mooncake._mark_dropped(r.id);
    END LOOP;
  END LOOP;
  PERFORM mooncake._internal_end(prev);
END $$;

REVOKE ALL ON FUNCTION mooncake._refresh(bigint, oid[]), mooncake._on_ddl_command_end(), mooncake._on_sql_drop() FROM PUBLIC;

-- (Re)create the event triggers. Returns false, with a WARNING, when the current user is not a superuser.
CREATE OR REPLACE FUNCTION mooncake.install_event_triggers() RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false) THEN
    RAISE WARNING 'lakegate: DDL capture is off: event triggers need a superuser and % is not one', current_user
      USING DETAIL = 'ALTER TABLE on a mirrored table will not update its mirror, GRANTs will not follow, and dropped mirrors or sources go unnoticed until lakegate polls.',
            HINT = 'Run SELECT mooncake.install_event_triggers(); as a superuser.';
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'mooncake_ddl_command_end') THEN
    DROP EVENT TRIGGER mooncake_ddl_command_end;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'mooncake_sql_drop') THEN
    DROP EVENT TRIGGER mooncake_sql_drop;
  END IF;
  CREATE EVENT TRIGGER mooncake_ddl_command_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'CREATE TABLE', 'CREATE VIEW', 'GRANT', 'REVOKE', 'COMMENT')
    EXECUTE FUNCTION mooncake._on_ddl_command_end();
  CREATE EVENT TRIGGER mooncake_sql_drop ON sql_drop
    EXECUTE FUNCTION mooncake._on_sql_drop();
  RETURN true;
END $$;
REVOKE ALL ON FUNCTION mooncake.install_event_triggers() FROM PUBLIC;

SELECT mooncake.install_event_triggers();

-- What the sql_drop trigger would have done, for installs without event triggers (and as a safety
-- net): mark mirrors whose source is gone failed, and those whose view is gone 'dropping'. lakegate's
-- registry poll calls this; returns the number of mirrors changed.
CREATE OR REPLACE FUNCTION mooncake.reconcile() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
  n integer := 0;
  prev text := mooncake._internal_begin();
BEGIN
  FOR r IN SELECT id, source_schema, source_name FROM mooncake.mirrors
            WHERE state <> 'dropping' AND source_oid IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = source_oid::oid) LOOP
    UPDATE mooncake.mirrors
       SET state = 'failed', source_oid = NULL, updated_at = now(),
           error = format('source table %s was dropped', mooncake._qname(r.source_schema, r.source_name))
     WHERE id = r.id;
    n := n + 1;
  END LOOP;
  FOR r IN SELECT id FROM mooncake.mirrors
            WHERE state <> 'dropping'
              AND (mirror_oid IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = mirror_oid::oid)) LOOP
    PERFORM mooncake._mark_dropped(r.id);
    n := n + 1;
  END LOOP;
  PERFORM mooncake._internal_end(prev);
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION mooncake.reconcile() FROM PUBLIC;
