// An in-process S3 (s3rver) for tests: temp directory, free loopback port, one bucket.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.js';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: import('node:http').Server;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;

export interface TestS3 {
  endpoint: string;
  bucket: string;
  port: number;
  /** options for S3Storage / openStorage({ s3 }) */
  options: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: true };
  stop(): Promise<void>;
}

export async function startS3(bucket = 'lakehouse'): Promise<TestS3> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const dir = mkdtempSync(join(tmpdir(), 's3rver-'));
  const port = await freePort();
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    directory: dir,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    port,
    options: { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true },
    async stop() {
      // keep-alive sockets (SDK, fetch, ClickHouse) would hold close() open forever
      const closing = server.close();
      server.httpServer?.closeAllConnections();
      await closing;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
