-- lakegate control plane, part 5: IvorySQL. The SQL inside PL/pgSQL is parsed with the session's
-- parser, and in an Oracle-mode session (port 1521) '' would become NULL and `date` sys.oradate. So on
-- IvorySQL every entry point (procedures, SECURITY DEFINER functions, trigger and event-trigger
-- functions) runs with ivorysql.compatible_mode = pg; format_type() then also gives PG-mode type names
-- for the mirror views. PostgreSQL has no such setting (and only a superuser could set it as a
-- placeholder), so there this does nothing.
-- A later migration that re-creates an entry point must call mooncake._pin_pg_mode() again.

CREATE OR REPLACE FUNCTION mooncake._pin_pg_mode() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  f regprocedure;
  n integer := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'ivorysql.compatible_mode') THEN
    RETURN 0;
  END IF;
  FOR f IN
    SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'mooncake'::regnamespace
       AND (p.prokind = 'p' OR p.prosecdef OR p.prorettype IN ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
            OR p.proname = 'install_event_triggers')
  LOOP
    EXECUTE format('ALTER ROUTINE %s SET ivorysql.compatible_mode = pg', f);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION mooncake._pin_pg_mode() FROM PUBLIC;

SELECT mooncake._pin_pg_mode();
