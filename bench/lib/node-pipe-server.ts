// The floor for a proxy written for Node: a byte pipe between each client and its own upstream connection,
// built from lakegate's own socket primitives (net `onread` into one reused buffer, writes straight to the
// socket handle) and nothing else — no startup handling, no message walk, no routing.
//
// node dist/bench/lib/node-pipe-server.js <listen-port> <upstream-host> <upstream-port>
import net from 'node:net';
import { rewrapWithOnread } from '../../src/wire/onread-socket.js';
import { ReadBuffer } from '../../src/wire/read-buffer.js';
import { SocketWriter } from '../../src/wire/socket-writer.js';

/** One direction: what `from` reads is written to `to`; a write the kernel could not take whole pauses `from`. */
function forward(reader: ReadBuffer, from: net.Socket, to: SocketWriter): void {
  reader.handler = (chunk) => {
    if (!to.write(chunk)) from.pause();
    if (to.busy) reader.retain();
  };
  to.onDrain = () => from.resume();
}

function serve(listenPort: number, upstreamHost: string, upstreamPort: number): void {
  const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
    const clientReader = new ReadBuffer();
    const moved = rewrapWithOnread(accepted, clientReader.onread);
    if (!moved) {
      accepted.destroy();
      return;
    }
    const client = moved.socket;
    const upReader = new ReadBuffer();
    const up = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true, onread: upReader.onread });
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    up.once('connect', () => {
      client.setNoDelay(true);
      const toUp = new SocketWriter(up, true);
      const toClient = new SocketWriter(client, true);
      forward(clientReader, client, toUp);
      forward(upReader, up, toClient);
      clientReader.attach(client);
      upReader.attach(up);
      for (const b of moved.rest) toUp.write(b);
      client.resume();
    });
  });
  server.listen(listenPort, '127.0.0.1');
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => process.exit(0));
}

const [port, host, upstreamPort] = process.argv.slice(2);
serve(Number(port), host!, Number(upstreamPort));
