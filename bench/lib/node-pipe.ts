// The floor for a proxy written for Node, started beside lakegate by the passthrough bench (the pipe itself is
// node-pipe-server.ts): lakegate/node-pipe is what lakegate's protocol awareness costs, node-pipe/PgBouncer what
// Node's event path costs against a C proxy on the same machine.
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/postgres.js';
import { startService, waitForPort, type Service } from './processes.js';

const SERVER = fileURLToPath(new URL('./node-pipe-server.js', import.meta.url));

export interface NodePipeProcess extends Service {
  port: number;
}

/** Start the pipe as its own process (like lakegate and PgBouncer) in front of upstream. */
export async function startNodePipe(upstream: { host: string; port: number }): Promise<NodePipeProcess> {
  const port = await freePort();
  const svc = startService('node-pipe', process.execPath, [SERVER, String(port), upstream.host, String(upstream.port)]);
  await waitForPort(svc, port);
  return { ...svc, port };
}
