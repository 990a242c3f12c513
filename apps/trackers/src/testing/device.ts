import net from 'node:net';

/** A test device: connects, writes, and waits for what the gateway answers or for the close. */
export interface TestDevice {
  socket: net.Socket;
  /** Everything received so far. */
  received(): string;
  send(text: string | Buffer): void;
  /** Waits until the received text matches (or the timeout). */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Resolves when the gateway closed the connection (or rejects after the timeout). */
  closed(timeoutMs?: number): Promise<void>;
  isClosed(): boolean;
  end(): void;
}

export async function connectDevice(port: number): Promise<TestDevice> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  let closed = false;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
    notify();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    notify();
  });
  const until = (check: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const listener = () => {
        if (!check()) return;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(received)}`));
      }, timeoutMs);
      listeners.add(listener);
      listener();
    });
  return {
    socket,
    received: () => received,
    send: (text) => void socket.write(text),
    waitFor: async (pattern, timeoutMs = 5_000) => {
      const matches = () => (typeof pattern === 'string' ? received.includes(pattern) : pattern.test(received));
      await until(matches, timeoutMs, String(pattern));
      return received;
    },
    closed: (timeoutMs = 5_000) => until(() => closed, timeoutMs, 'the connection closed'),
    isClosed: () => closed,
    end: () => socket.destroy(),
  };
}

/** The value of one series in Prometheus text (0 when absent); `labels` must all match. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const row of text.split('\n')) {
    if (!row.startsWith(`${name}{`) && !row.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => row.includes(`${k}="${v}"`))) continue;
    total += Number(row.slice(row.lastIndexOf(' ') + 1));
  }
  return total;
}
