// Client authentication fixtures: an upstream Postgres with password roles (the exchange lakegate relays), and the
// pair of gates in front of it that TLS tests compare (plaintext only / with a throw-away certificate).
import { startPostgres, type TestPostgres, type TestPostgresOptions } from './postgres.js';
import { startGate, type Gate } from './lakegate.js';
import { makeSelfSignedCert, type TestCert } from './tls.js';

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * A Postgres where, over TCP, `scram_user` must log in with a SCRAM-SHA-256 verifier of `scram` and `md5_user` with an
 * md5 hash of `md5`; every other role stays trust. `opts.hba` lines go after those two.
 */
export async function startPostgresWithPasswords(
  passwords: { scram: string; md5: string },
  opts: TestPostgresOptions = {},
): Promise<TestPostgres> {
  const db = await startPostgres({
    ...opts,
    hba: ['host all scram_user 127.0.0.1/32 scram-sha-256', 'host all md5_user 127.0.0.1/32 md5', ...(opts.hba ?? [])],
  });
  try {
    await db.sql(`set password_encryption = 'scram-sha-256'; create role scram_user login password ${literal(passwords.scram)}`);
    await db.sql(`set password_encryption = 'md5'; create role md5_user login password ${literal(passwords.md5)}`);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return db;
}

export interface PlainAndTlsGates {
  /** plaintext only */
  plain: Gate;
  /** with tls.cert / tls.key */
  secure: Gate;
  /** the certificate `secure` presents (its PEM doubles as a client's CA) */
  cert: TestCert;
  /** closes both gates, removes the certificate */
  close(): Promise<void>;
}

/** Two gates in front of the same upstream: one without TLS, one with a self-signed certificate. */
export async function startPlainAndTlsGates(upstreamUrl: string): Promise<PlainAndTlsGates> {
  const cert = makeSelfSignedCert();
  let plain: Gate | undefined;
  let secure: Gate | undefined;
  const close = async () => {
    await plain?.close();
    await secure?.close();
    cert.cleanup();
  };
  try {
    plain = await startGate({ 'upstream.url': upstreamUrl });
    secure = await startGate({ 'upstream.url': upstreamUrl, 'tls.cert': cert.certFile, 'tls.key': cert.keyFile });
  } catch (e) {
    await close();
    throw e;
  }
  return { plain, secure, cert, close };
}
