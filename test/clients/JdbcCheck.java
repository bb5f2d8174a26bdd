// pgjdbc through lakegate. Run as a single-file program:
//   java -cp /usr/share/java/postgresql.jar test/clients/JdbcCheck.java <jdbc-url> <user> <password> <lakegate-version>
// Runs every check and prints "OK <check>" or "FAIL <check>: <why>" for each; exits 1 if any failed.
import java.math.BigDecimal;
import java.sql.*;
import java.util.*;
import java.util.concurrent.*;

public class JdbcCheck {
  interface Check {
    void run() throws Exception;
  }

  static boolean failed = false;
  static Connection c;
  static String version;

  static void check(boolean ok, String why) {
    if (!ok) throw new AssertionError(why);
  }

  /** One named check; a failure is reported and the connection reset, so later checks still run. */
  static void step(String name, Check body) {
    try {
      body.run();
      System.out.println("OK " + name);
    } catch (Throwable e) {
      failed = true;
      System.out.println("FAIL " + name + ": " + e);
      try {
        if (!c.getAutoCommit()) {
          c.rollback();
          c.setAutoCommit(true);
        }
      } catch (SQLException ignored) {
        // the next check reports what is wrong with the connection
      }
    }
  }

  static String one(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      check(rs.next(), "a row from " + sql);
      return rs.getString(1);
    }
  }

  public static void main(String[] args) throws Exception {
    String url = args[0];
    version = args[3];
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    try {
      c = DriverManager.getConnection(url, props);
      System.out.println("OK connect");
    } catch (SQLException e) {
      System.out.println("FAIL connect: " + e);
      System.exit(1);
    }

    step("prepared statement with parameters", () -> {
      try (PreparedStatement ps = c.prepareStatement("select ?::int + 1 as n, ?::text as t, ?::numeric * 2 as d, ?::text is null as isnull")) {
        ps.setInt(1, 41);
        ps.setString(2, "héllo");
        ps.setBigDecimal(3, new BigDecimal("1.25"));
        ps.setNull(4, Types.VARCHAR);
        try (ResultSet rs = ps.executeQuery()) {
          check(rs.next(), "one row");
          check(rs.getInt("n") == 42, "n = " + rs.getInt("n"));
          check("héllo".equals(rs.getString("t")), "t = " + rs.getString("t"));
          check(new BigDecimal("2.50").compareTo(rs.getBigDecimal("d")) == 0, "d = " + rs.getBigDecimal("d"));
          check(rs.getBoolean("isnull"), "null parameter");
          check(!rs.next(), "only one row");
        }
      }
    });

    // pgjdbc switches to a named server-side statement after prepareThreshold (5) executions
    step("prepared statements reused past prepareThreshold, upstream and local", () -> {
      try (PreparedStatement up = c.prepareStatement("select ?::int * 2");
           PreparedStatement local = c.prepareStatement("SHOW lakegate.version")) {
        for (int i = 0; i < 12; i++) {
          up.setInt(1, i);
          try (ResultSet rs = up.executeQuery()) {
            check(rs.next() && rs.getInt(1) == i * 2, "upstream round " + i);
          }
          try (ResultSet rs = local.executeQuery()) {
            check(rs.next() && version.equals(rs.getString(1)), "local round " + i);
          }
        }
      }
    });

    step("DDL, batch insert", () -> {
      try (Statement st = c.createStatement()) {
        st.execute("drop table if exists jdbc_items");
        st.execute("create table jdbc_items (id int primary key, name text not null, price numeric(8,2))");
      }
      try (PreparedStatement ins = c.prepareStatement("insert into jdbc_items values (?, ?, ?)")) {
        for (int i = 1; i <= 300; i++) {
          ins.setInt(1, i);
          ins.setString(2, "item " + i);
          ins.setBigDecimal(3, new BigDecimal(i).movePointLeft(1));
          ins.addBatch();
        }
        int[] counts = ins.executeBatch();
        check(counts.length == 300, "batch size " + counts.length);
      }
    });

    step("setFetchSize inside a transaction (portal suspended and resumed)", () -> {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.setFetchSize(100);
        long n = 0, sum = 0;
        try (ResultSet rs = st.executeQuery("select g from generate_series(1, 1050) g")) {
          while (rs.next()) {
            n++;
            sum += rs.getLong(1);
          }
        }
        check(n == 1050, "rows " + n);
        check(sum == 1050L * 1051 / 2, "sum " + sum);
        check("300".equals(one(st, "select count(*) from jdbc_items")), "count in transaction");
        st.execute("insert into jdbc_items values (1000, 'rolled back', 0)");
      }
      c.rollback();
      c.setAutoCommit(true);
      try (Statement st = c.createStatement()) {
        check("300".equals(one(st, "select count(*) from jdbc_items")), "rollback undid the insert");
      }
    });

    step("metadata", () -> {
      DatabaseMetaData md = c.getMetaData();
      check(md.getDatabaseProductName().equals("PostgreSQL"), "product " + md.getDatabaseProductName());
      check(md.getDatabaseMajorVersion() >= 14, "server version " + md.getDatabaseProductVersion());
      try (ResultSet rs = md.getTables(null, "public", "jdbc_items", new String[] {"TABLE"})) {
        check(rs.next() && "jdbc_items".equals(rs.getString("TABLE_NAME")), "getTables");
      }
      List<String> cols = new ArrayList<>();
      try (ResultSet rs = md.getColumns(null, "public", "jdbc_items", null)) {
        while (rs.next()) cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
      }
      check(cols.equals(List.of("id:int4", "name:text", "price:numeric")), "getColumns " + cols);
      try (ResultSet rs = md.getPrimaryKeys(null, "public", "jdbc_items")) {
        check(rs.next() && "id".equals(rs.getString("COLUMN_NAME")), "getPrimaryKeys");
      }
      try (PreparedStatement ps = c.prepareStatement("select id, name, price from jdbc_items where id = ?")) {
        ResultSetMetaData rmd = ps.getMetaData(); // Describe of a statement that was never executed
        check(rmd.getColumnCount() == 3, "column count");
        check(rmd.getColumnTypeName(1).equals("int4") && rmd.getColumnTypeName(3).equals("numeric"), "column types");
        ParameterMetaData pmd = ps.getParameterMetaData();
        check(pmd.getParameterCount() == 1 && pmd.getParameterTypeName(1).equals("int4"), "parameter type");
      }
      try (PreparedStatement ps = c.prepareStatement("SHOW lakegate.version")) {
        ResultSetMetaData rmd = ps.getMetaData();
        check(rmd.getColumnCount() == 1 && rmd.getColumnName(1).equals("lakegate.version"), "local statement metadata");
      }
    });

    step("errors keep the connection usable", () -> {
      try (Statement st = c.createStatement()) {
        try {
          st.executeQuery("select 1/0");
          check(false, "no error");
        } catch (SQLException e) {
          check("22012".equals(e.getSQLState()), "SQLState " + e.getSQLState());
        }
        check("5".equals(one(st, "select 5")), "after error");
      }
    });

    step("Statement.cancel (CancelRequest through lakegate)", () -> {
      try (Statement st = c.createStatement()) {
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
        ex.schedule(() -> {
          try {
            st.cancel();
          } catch (SQLException e) {
            throw new RuntimeException(e);
          }
        }, 500, TimeUnit.MILLISECONDS);
        long t0 = System.nanoTime();
        try {
          st.execute("select pg_sleep(30)");
          check(false, "pg_sleep was not cancelled");
        } catch (SQLException e) {
          check("57014".equals(e.getSQLState()), "SQLState " + e.getSQLState() + " " + e.getMessage());
        } finally {
          ex.shutdown();
        }
        check((System.nanoTime() - t0) / 1_000_000 < 10_000, "cancel took too long");
        check("6".equals(one(st, "select 6")), "after cancel");
      }
    });

    // With autocommit off pgjdbc batches BEGIN with the first statement, and closes the previous
    // portal lazily in the batch of the next statement: local statements arrive in mixed batches.
    step("local statement inside a transaction (batched with BEGIN, after a closed portal)", () -> {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        check(version.equals(one(st, "SHOW lakegate.version")), "first statement of the transaction");
        st.setFetchSize(10);
        try (ResultSet rs = st.executeQuery("select g from generate_series(1, 25) g")) {
          int n = 0;
          while (rs.next()) n++;
          check(n == 25, "rows " + n);
        }
        st.setFetchSize(1);
        check(version.equals(one(st, "SHOW lakegate.version")), "after a fetch-size result set");
        check("7".equals(one(st, "select 7")), "upstream afterwards");
      }
      c.rollback();
      c.setAutoCommit(true);
    });

    c.close();
    System.exit(failed ? 1 : 0);
  }
}
