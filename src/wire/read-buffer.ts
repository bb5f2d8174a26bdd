// One reusable read buffer for a socket (net's `onread`): no 64 KiB allocation per read on the hot path.
// Reuse is safe only while nobody keeps a reference to the last chunk; whoever keeps one calls retain()
// and the next read gets a fresh buffer.
const SIZE = 64 * 1024;

export class ReadBuffer {
  private buf = Buffer.allocUnsafe(SIZE);
  private retained = false;
  handler: (chunk: Buffer) => void = () => {};

  readonly onread = {
    buffer: (): Buffer => {
      if (this.retained) {
        this.buf = Buffer.allocUnsafe(SIZE);
        this.retained = false;
      }
      return this.buf;
    },
    callback: (n: number, buf: Uint8Array): boolean => {
      this.handler((buf as Buffer).subarray(0, n));
      return true;
    },
  };

  retain(): void {
    this.retained = true;
  }
}
