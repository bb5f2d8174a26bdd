// CancelRequest: a fresh connection to upstream carrying the client's packet unchanged. The keys the
// client holds are upstream's own (BackendKeyData passes through), so no translation is needed.
import { connectUpstream } from './connect.js';
import type { UpstreamTarget } from './target.js';
import { log } from '../log.js';

export async function forwardCancel(t: UpstreamTarget, packet: Buffer, timeoutMs: number): Promise<void> {
  try {
    const { socket: sock } = await connectUpstream({ ...t, sslmode: t.sslmode === 'prefer' ? 'disable' : t.sslmode }, timeoutMs);
    sock.on('error', () => {});
    sock.end(packet);
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'cancel request could not be forwarded');
  }
}
