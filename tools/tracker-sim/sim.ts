/**
 * Simulated hardware trackers for the tracker gateway (apps/trackers): N devices speaking Teltonika,
 * GT06 or H02 over TCP, each with a buffer of records it keeps until the server acknowledges them,
 * as real trackers do. A device resends whatever was not acknowledged when its connection drops, so
 * "every acknowledged record stored exactly once; unacknowledged ones resent and stored once" can be
 * checked from the outside.
 *
 * The bytes come from the simulated devices of `@fleet/ingest/testing` (the decoders' inverse).
 */
import net from 'node:net';
import { Gt06Device, H02Device, parseGt06Frames, parseH02Answers, TeltonikaDevice } from '@fleet/ingest/testing';

export type SimProtocol = 'teltonika' | 'gt06' | 'h02';

/** One record a simulated tracker holds until it is acknowledged. */
export interface SimRecord {
  /** Fix time, epoch milliseconds (whole seconds: every protocol here carries seconds). */
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number;
  heading: number;
}

/** A frame on its way and the records its acknowledgement covers. */
export interface SimFrame {
  bytes: Buffer;
  records: SimRecord[];
}

/** What the device reads from the server. */
export type SimAnswer = { type: 'login'; accepted: boolean } | { type: 'ack' } | { type: 'other' };

/** A protocol as a device speaks it. */
export interface SimDriver {
  /** Bytes sent first on every connection (login / handshake), if the protocol has one. */
  hello(): Buffer | undefined;
  /** Records encoded in frames; each frame is acknowledged by exactly one `ack` answer, in order. */
  frames(records: SimRecord[], perFrame: number): SimFrame[];
  /** Answers in the bytes received (partial frames kept for the next chunk). */
  read(chunk: Buffer): SimAnswer[];
}

export type DriverFactory = (imei: string) => SimDriver;

const chunked = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export const DRIVERS: Record<SimProtocol, DriverFactory> = {
  teltonika: (imei) => {
    const device = new TeltonikaDevice(imei);
    return {
      hello: () => device.handshake(),
      frames: (records, perFrame) =>
        chunked(records, perFrame).map((group) => ({
          records: group,
          bytes: device.packet(
            group.map((r) => ({
              ts: r.ts,
              lat: r.lat,
              lon: r.lon,
              speed: Math.round(r.speedKmh),
              heading: Math.round(r.heading),
              satellites: 9,
              io: { 239: r.speedKmh > 0 ? 1 : 0 },
            })),
          ),
        })),
      read: (chunk) =>
        device
          .receive(chunk)
          .map((a): SimAnswer =>
            a.type === 'handshake'
              ? { type: 'login', accepted: a.accepted }
              : a.type === 'ack'
                ? { type: 'ack' }
                : { type: 'other' },
          ),
    };
  },
  h02: (imei) => {
    const device = new H02Device(imei);
    let pending = Buffer.alloc(0);
    return {
      hello: () => undefined,
      // One fix per H02 frame; Traccar answers each V1 frame, which acknowledges it.
      frames: (records) =>
        records.map((r) => ({
          records: [r],
          bytes: device.position({
            ts: new Date(r.ts),
            lat: r.lat,
            lon: r.lon,
            speedKmh: r.speedKmh,
            heading: r.heading,
          }),
        })),
      read: (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        const end = pending.lastIndexOf(0x23); // '#'
        if (end < 0) return [];
        const complete = pending.subarray(0, end + 1);
        pending = pending.subarray(end + 1);
        // The server acknowledges a stored V1 sentence with `*HQ,<id>,V4,V1,<time>#`.
        return parseH02Answers(complete).map((a): SimAnswer =>
          a.type === 'V4' && a.fields[3] === 'V1' ? { type: 'ack' } : { type: 'other' },
        );
      },
    };
  },
  gt06: (imei) => {
    const device = new Gt06Device(imei);
    let pending = Buffer.alloc(0);
    return {
      hello: () => device.login(),
      // One fix per GT06 frame (0x22); the server echoes its protocol number and serial once stored.
      frames: (records) =>
        records.map((r) => ({
          records: [r],
          bytes: device.position({
            ts: new Date(r.ts),
            lat: r.lat,
            lon: r.lon,
            speedKmh: r.speedKmh,
            heading: r.heading,
            satellites: 9,
          }),
        })),
      read: (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        const out: SimAnswer[] = [];
        for (;;) {
          if (pending.length < 5) break;
          const extended = pending[0] === 0x79;
          const end = (extended ? 4 + pending.readUInt16BE(2) : 3 + pending[2]) + 2;
          if (pending.length < end) break;
          for (const frame of parseGt06Frames(pending.subarray(0, end)))
            out.push(
              frame.protocol === 0x01
                ? { type: 'login', accepted: true }
                : [0x12, 0x22, 0x16, 0x26].includes(frame.protocol)
                  ? { type: 'ack' }
                  : { type: 'other' },
            );
          pending = pending.subarray(end);
        }
        return out;
      },
    };
  },
};

export interface TrackerStats {
  /** Records acknowledged by the server (ts → times acknowledged: more than once means a resend was acknowledged again). */
  acknowledged: Map<number, number>;
  framesSent: number;
  /** Records sent again after a connection ended before their acknowledgement. */
  resent: number;
  connections: number;
  refused: boolean;
}

export interface TrackerOptions {
  host: string;
  port: number;
  protocol: SimProtocol;
  imei: string;
  /** Records per frame where the protocol carries several (Teltonika); others send one per frame. */
  perFrame?: number;
  /** Frames in flight before waiting for an acknowledgement (real trackers: 1). */
  window?: number;
  /** Delay before reconnecting after a drop, ms. */
  reconnectMs?: number;
  /**
   * Cut the connection right after writing the frame with this running number (1 = the first frame
   * ever sent), before its acknowledgement can arrive: a network loss mid-stream. Each once.
   */
  dropAfterFrames?: number[];
}

/**
 * One simulated tracker: `add` records to its buffer, `run` connects and sends until the buffer is
 * empty (reconnecting after drops), `drop` cuts the connection as a network loss would.
 */
export class SimulatedTracker {
  readonly stats: TrackerStats = { acknowledged: new Map(), framesSent: 0, resent: 0, connections: 0, refused: false };
  private readonly driver: SimDriver;
  private buffer: SimRecord[] = [];
  private readonly everSent = new Set<number>();
  private socket: net.Socket | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly options: TrackerOptions) {
    this.driver = DRIVERS[options.protocol](options.imei);
  }

  add(records: SimRecord[]): void {
    this.buffer.push(...records);
    this.wake?.();
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Ends the current connection abruptly (frames in flight stay unacknowledged and are resent). */
  drop(): void {
    this.socket?.destroy();
  }

  /** Sends until the buffer is empty; resolves then (the connection is closed), or rejects on `deadline`. */
  async run(deadline = Date.now() + 60_000): Promise<void> {
    while (this.buffer.length) {
      if (Date.now() > deadline)
        throw new Error(`${this.options.imei}: ${this.buffer.length} records unsent at the deadline`);
      const done = await this.connection(deadline);
      if (this.stats.refused) throw new Error(`${this.options.imei}: refused by the server`);
      if (!done) await new Promise((r) => setTimeout(r, this.options.reconnectMs ?? 100));
    }
  }

  /** One connection: true when the buffer was emptied, false when it ended first. */
  private connection(deadline: number): Promise<boolean> {
    const { host, port } = this.options;
    const perFrame = this.options.perFrame ?? 10;
    const window = this.options.window ?? 1;
    return new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      this.socket = socket;
      this.stats.connections++;
      const inFlight: SimFrame[] = [];
      let loggedIn = false;
      let finished = false;
      const timer = setTimeout(() => socket.destroy(), Math.max(0, deadline - Date.now()));
      const finish = (emptied: boolean) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.wake = undefined;
        // What was in flight goes back to the front of the buffer, to be sent again.
        const back = inFlight.splice(0).flatMap((f) => f.records);
        this.buffer.unshift(...back);
        socket.destroy();
        resolve(emptied);
      };
      const pump = () => {
        if (finished || !loggedIn) return;
        while (inFlight.length < window && this.buffer.length) {
          const take = this.buffer.splice(0, perFrame);
          const [frame, ...rest] = this.driver.frames(take, perFrame);
          // frames() may split further (one fix per frame): keep the rest at the front.
          if (rest.length) this.buffer.unshift(...rest.flatMap((f) => f.records));
          for (const r of frame.records) {
            if (this.everSent.has(r.ts)) this.stats.resent++;
            this.everSent.add(r.ts);
          }
          inFlight.push(frame);
          this.stats.framesSent++;
          socket.write(frame.bytes);
          if (this.options.dropAfterFrames?.includes(this.stats.framesSent)) {
            // Written, then the line goes dead: the server may or may not have stored it.
            socket.destroy();
            return;
          }
        }
        if (!inFlight.length && !this.buffer.length) {
          socket.end();
          finish(true);
        }
      };
      this.wake = pump;
      socket.on('connect', () => {
        const hello = this.driver.hello();
        if (hello) socket.write(hello);
        else {
          loggedIn = true;
          pump();
        }
      });
      socket.on('data', (chunk) => {
        for (const answer of this.driver.read(chunk)) {
          if (answer.type === 'login') {
            if (!answer.accepted) {
              this.stats.refused = true;
              finish(false);
              return;
            }
            loggedIn = true;
          } else if (answer.type === 'ack') {
            const frame = inFlight.shift();
            for (const r of frame?.records ?? [])
              this.stats.acknowledged.set(r.ts, (this.stats.acknowledged.get(r.ts) ?? 0) + 1);
          }
        }
        pump();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => finish(false));
    });
  }
}

/** `count` records one `stepS` apart ending at `endMs`, moving north-east from `start`. */
export function track(start: { lat: number; lon: number }, count: number, endMs: number, stepS = 10): SimRecord[] {
  const first = Math.floor(endMs / 1000) * 1000 - (count - 1) * stepS * 1000;
  return Array.from({ length: count }, (_, i) => ({
    ts: first + i * stepS * 1000,
    lat: start.lat + i * 0.0001,
    lon: start.lon + i * 0.0001,
    speedKmh: 40,
    heading: 45,
  }));
}

/** A 15-digit IMEI: the prefix, then the device number. */
export const imeiOf = (prefix: string, i: number) => `${prefix}${String(i).padStart(15 - prefix.length, '0')}`;
