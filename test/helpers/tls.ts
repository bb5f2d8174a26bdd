// A throw-away self-signed certificate for TLS tests, made with the openssl CLI (CN=localhost,
// SAN localhost + 127.0.0.1, so clients can verify it with the certificate itself as CA).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  dir: string;
  /** PEM file paths, as tls.cert / tls.key expect */
  certFile: string;
  keyFile: string;
  /** the certificate PEM, to use as a client's CA */
  certPem: string;
  cleanup(): void;
}

export function makeSelfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'lakegate-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  // EC P-256: generated in milliseconds, accepted by node, libpq, pgjdbc and psycopg2
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile],
    { stdio: 'pipe' },
  );
  return {
    dir,
    certFile,
    keyFile,
    certPem: readFileSync(certFile, 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
