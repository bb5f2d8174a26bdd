// pgjdbc querying the mirror sales_iceberg through lakegate, compared with the same statements on the source
// table sales on Postgres directly. Run as a single-file program:
//   java -cp /usr/share/java/postgresql.jar test/clients/MirrorJdbcCheck.java <lakegate-url> <postgres-url> <user> <password>
// Prints "OK <check>" or "FAIL <check>: <why>" per check; exits 1 if any failed.
import java.sql.*;
import java.util.*;
import java.util.concurrent.*;

public class MirrorJdbcCheck {
  interface Check {
    void run() throws Exception;
  }

  static boolean failed = false;
  static Connection lake;
  static Connection direct;

  static void check(boolean ok, String why) {
    if (!ok) throw new AssertionError(why);
  }

  static void step(String name, Check body) {
    try {
      body.run();
      System.out.println("OK " + name);
    } catch (Throwable e) {
      failed = true;
      System.out.println("FAIL " + name + ": " + e);
      for (Connection c : new Connection[] {lake, direct}) {
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
  }

  /** the statement on the source table */
  static String source(String sql) {
    return sql.replace("sales_iceberg", "sales");
  }

  /** every row as strings (getString: pgjdbc's own rendering of each type) */
  static List<List<String>> rows(ResultSet rs) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      List<String> row = new ArrayList<>();
      for (int i = 1; i <= n; i++) row.add(rs.getString(i));
      out.add(row);
    }
    return out;
  }

  static List<String> meta(ResultSetMetaData m) throws SQLException {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= m.getColumnCount(); i++) {
      out.add(m.getColumnLabel(i) + ":" + m.getColumnType(i) + ":" + m.getColumnTypeName(i) + ":" + m.getPrecision(i) + ":" + m.getScale(i)
          + ":" + m.getColumnClassName(i) + ":" + m.getColumnDisplaySize(i));
    }
    return out;
  }

  static List<List<String>> prepared(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      try (ResultSet rs = ps.executeQuery()) {
        return rows(rs);
      }
    }
  }

  static void same(List<List<String>> got, List<List<String>> want, String what) {
    check(!want.isEmpty(), "rows expected from " + what);
    check(got.equals(want), what + ": lakegate " + got + " vs postgres " + want);
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", args[2]);
    props.setProperty("password", args[3]);
    try {
      lake = DriverManager.getConnection(args[0], props);
      direct = DriverManager.getConnection(args[1], props);
      System.out.println("OK connect");
    } catch (SQLException e) {
      System.out.println("FAIL connect: " + e);
      System.exit(1);
    }

    step("prepared statement with parameters", () -> {
      String sql = "select id, region, product, amount, sold_on, sold_at, sold_tz, paid from sales_iceberg where region = ? and amount > ? and sold_on >= ? order by id";
      Object[] p = {"west", new java.math.BigDecimal("250.5"), java.sql.Date.valueOf("2024-02-01")};
      same(prepared(lake, sql, p), prepared(direct, source(sql), p), sql);
    });

    // after prepareThreshold (5) executions pgjdbc uses a named server statement and binary transfer
    step("prepared statement reused past prepareThreshold (binary transfer)", () -> {
      String sql = "select id, qty, score, big, amount, sold_at, sold_tz, sold_on, ref from sales_iceberg where id between ? and ? order by id";
      try (PreparedStatement a = lake.prepareStatement(sql); PreparedStatement b = direct.prepareStatement(source(sql))) {
        for (int i = 0; i < 9; i++) {
          for (PreparedStatement ps : new PreparedStatement[] {a, b}) {
            ps.setInt(1, i * 20 + 1);
            ps.setInt(2, i * 20 + 15);
          }
          List<List<String>> got;
          List<List<String>> want;
          try (ResultSet rs = a.executeQuery()) {
            got = rows(rs);
          }
          try (ResultSet rs = b.executeQuery()) {
            want = rows(rs);
          }
          same(got, want, sql + " #" + i);
        }
      }
    });

    step("setFetchSize inside a transaction (portal suspended and resumed)", () -> {
      String sql = "select id, region, amount, meta from sales_iceberg where id > ? order by id";
      List<List<String>> got = new ArrayList<>();
      lake.setAutoCommit(false);
      try (PreparedStatement ps = lake.prepareStatement(sql)) {
        ps.setFetchSize(7);
        ps.setInt(1, 100);
        try (ResultSet rs = ps.executeQuery()) {
          got = rows(rs);
        }
      }
      lake.commit();
      lake.setAutoCommit(true);
      check(got.size() == 200, "200 rows, got " + got.size());
      same(got, prepared(direct, source(sql), 100), sql);
    });

    step("ResultSetMetaData", () -> {
      String sql = "select id, region, product, amount, qty, score, sold_on, sold_at, sold_tz, paid, big, tags, meta, ref, amount * 2 as twice, count(*) over () as n from sales_iceberg where id < ?";
      List<String> got;
      List<String> want;
      try (PreparedStatement ps = lake.prepareStatement(sql)) {
        ps.setInt(1, 3);
        try (ResultSet rs = ps.executeQuery()) {
          got = meta(rs.getMetaData());
        }
      }
      try (PreparedStatement ps = direct.prepareStatement(source(sql))) {
        ps.setInt(1, 3);
        try (ResultSet rs = ps.executeQuery()) {
          want = meta(rs.getMetaData());
        }
      }
      check(got.equals(want), "lakegate " + got + " vs postgres " + want);
      // described before running, too
      try (PreparedStatement ps = lake.prepareStatement(sql); PreparedStatement pd = direct.prepareStatement(source(sql))) {
        check(meta(ps.getMetaData()).equals(meta(pd.getMetaData())), "getMetaData before execute");
      }
    });

    step("error in a transaction aborts it, like Postgres", () -> {
      for (Connection c : new Connection[] {lake, direct}) {
        String tab = c == lake ? "sales_iceberg" : "sales";
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          try (ResultSet rs = st.executeQuery("select count(*) from " + tab)) {
            check(rs.next() && rs.getInt(1) == 300, "count");
          }
          try {
            st.executeQuery("select id / (qty - qty) from " + tab).close();
            check(false, "division by zero expected");
          } catch (SQLException e) {
            check("22012".equals(e.getSQLState()), "22012, got " + e.getSQLState() + " " + e.getMessage());
          }
          try {
            st.executeQuery("select count(*) from " + tab).close();
            check(false, "the transaction should be aborted (" + tab + ")");
          } catch (SQLException e) {
            check("25P02".equals(e.getSQLState()), "25P02 on " + tab + ", got " + e.getSQLState() + " " + e.getMessage());
          }
        }
        c.rollback();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from " + tab)) {
          check(rs.next() && rs.getInt(1) == 300, "usable after rollback");
        }
      }
    });

    step("Statement.cancel of a long mirror query", () -> {
      ExecutorService ex = Executors.newSingleThreadExecutor();
      try (Statement st = lake.createStatement()) {
        Future<?> f = ex.submit(() -> {
          Thread.sleep(500);
          st.cancel();
          return null;
        });
        long t0 = System.nanoTime();
        try {
          st.executeQuery("select count(*) from sales_iceberg a, sales_iceberg b, sales_iceberg c, generate_series(1, 100000) g where a.id + b.id + c.id > g").close();
          check(false, "cancel expected");
        } catch (SQLException e) {
          check("57014".equals(e.getSQLState()), "57014, got " + e.getSQLState() + " " + e.getMessage());
        }
        f.get();
        check((System.nanoTime() - t0) / 1_000_000 < 10_000, "cancelled quickly");
        try (ResultSet rs = st.executeQuery("select count(*) from sales_iceberg")) {
          check(rs.next() && rs.getInt(1) == 300, "usable after cancel");
        }
      } finally {
        ex.shutdownNow();
      }
    });

    lake.close();
    direct.close();
    System.exit(failed ? 1 : 0);
  }
}
