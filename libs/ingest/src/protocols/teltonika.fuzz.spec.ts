import { seededRandom } from '@fleet/geo';
import { TeltonikaDevice, type TeltonikaCodec, type TeltonikaRecord } from '../testing';
import { FrameError, type DeviceMessage, type ProtocolSession } from './tcp';
import { crc16Ibm, decodeTeltonikaDatagram, teltonika, teltonikaFrame } from './teltonika';

/**
 * Random, truncated, mutated and oversized input for the Teltonika decoder, from a seeded generator so
 * that a failure names the seed and iteration that reproduce it. Whatever arrives: push throws nothing
 * but FrameError, holds no more than maxFrameBytes, never yields a fix outside the globe, and never
 * acknowledges a packet whose CRC does not match.
 */

/** @fleet/geo's seeded mulberry32 (the same sequence on every machine for a seed), with helpers. */
function prng(seed: number) {
  const next = seededRandom(seed);
  const int = (max: number) => Math.floor(next() * max);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    bytes: (n: number) => {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = int(256);
      return out;
    },
  };
}
type Rng = ReturnType<typeof prng>;

const SEED = 0x7e170;
const device = new TeltonikaDevice('356307042441013');

function randomRecord(rng: Rng, codec: TeltonikaCodec): TeltonikaRecord {
  const io: Array<[number, number | bigint | Buffer]> = [];
  for (let i = rng.int(12); i > 0; i--) {
    const id = rng.int(codec === 'codec8' ? 256 : 65536);
    const kind = rng.int(codec === 'codec8e' ? 4 : 3);
    io.push([
      id,
      kind === 0 ? rng.int(256) : kind === 1 ? rng.int(2 ** 32) : kind === 2 ? 2n ** 63n : rng.bytes(rng.int(40)),
    ]);
  }
  return {
    ts: 1_500_000_000_000 + rng.int(2 ** 40),
    lat: (rng.next() - 0.5) * 180,
    lon: (rng.next() - 0.5) * 360,
    speed: rng.int(300),
    heading: rng.int(361),
    altitude: rng.int(4000) - 500,
    satellites: rng.int(20),
    priority: rng.int(3),
    eventId: rng.int(2) ? 0 : rng.int(256),
    io,
  };
}

function validPacket(rng: Rng): Buffer {
  const codec = rng.pick(['codec8', 'codec8e'] as const);
  return device.packet(
    Array.from({ length: 1 + rng.int(6) }, () => randomRecord(rng, codec)),
    codec,
  );
}

/** A CRC that matches the frame's data, judged from the bytes alone (not by the decoder). */
function crcMatches(frame: Buffer): boolean {
  const length = frame.readUInt32BE(4);
  if (frame.length !== 8 + length + 4) return false;
  return crc16Ibm(frame.subarray(8, 8 + length)) === frame.readUInt32BE(8 + length);
}

/** Checks every message and returns them; a FrameError ends the session (the gateway closes). */
function feed(session: ProtocolSession, chunks: Buffer[]): { messages: DeviceMessage[]; closed: boolean } {
  const messages: DeviceMessage[] = [];
  for (const chunk of chunks) {
    try {
      messages.push(...session.push(chunk));
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      expect(['garbage', 'too_large']).toContain(error.reason);
      return { messages, closed: true };
    }
    // A plain check: an expect() per chunk would dominate the run time.
    if (session.buffered > teltonika.maxFrameBytes) throw new Error(`${session.buffered} bytes held`);
  }
  for (const message of messages) checkMessage(message);
  return { messages, closed: false };
}

function checkMessage(message: DeviceMessage): void {
  if (message.type !== 'positions') return;
  // The record count: records off the globe are left out of the fixes but acknowledged.
  expect(message.ack?.length).toBe(4);
  expect(message.ack?.readUInt32BE(0)).toBeGreaterThanOrEqual(message.fixes.length);
  for (const fix of message.fixes) {
    if (!(Math.abs(fix.lat) <= 90 && Math.abs(fix.lon) <= 180)) throw new Error(`fix at ${fix.lat},${fix.lon}`);
    if (fix.ts !== undefined && Number.isNaN(fix.ts.getTime())) throw new Error('invalid date');
    for (const value of [fix.speedKmh, fix.heading, fix.altitude, fix.battery])
      if (value !== undefined && !Number.isFinite(value)) throw new Error(`measurement ${value}`);
  }
}

/** Splits `stream` into random chunks. */
function chunked(rng: Rng, stream: Buffer, largest = 600): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length;) {
    const size = 1 + rng.int(rng.int(2) ? 16 : largest);
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

const ITERATIONS = 1000;

describe('Teltonika decoder under fuzzing', () => {
  it('throws only FrameError on random bytes, with or without a handshake first', () => {
    const rng = prng(SEED);
    let closed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const prefix = rng.int(2) ? device.handshake() : Buffer.alloc(0);
      const garbage = rng.bytes(rng.int(300));
      // Half the time, after a zero preamble: the decoder must then read a length and data.
      if (rng.int(2) && garbage.length >= 4) garbage.fill(0, 0, 4);
      const result = feed(teltonika.createSession(), chunked(rng, Buffer.concat([prefix, garbage])));
      if (result.closed) closed++;
      expect(result.messages.filter((m) => m.type === 'positions' && m.ack)).toEqual([]);
    }
    expect(closed).toBeGreaterThan(ITERATIONS / 4);
  });

  it('never acknowledges a mutated packet whose CRC no longer matches', () => {
    const rng = prng(SEED + 1);
    let refused = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const frame = Buffer.from(validPacket(rng));
      for (let n = 1 + rng.int(4); n > 0; n--) {
        // Beyond the header (preamble, length), so the frame's bounds stay where they were.
        frame[8 + rng.int(frame.length - 8)] ^= 1 << rng.int(8);
      }
      const { messages, closed } = feed(teltonika.createSession(), chunked(rng, frame));
      expect(closed).toBe(false);
      if (!crcMatches(frame)) {
        expect(messages).toEqual([{ type: 'invalid', reason: expect.stringMatching(/^CRC/) }]);
        refused++;
      } else expect(messages.length).toBeGreaterThan(0);
    }
    // A 16-bit CRC lets about one mutation in 65,536 through; bit flips of the CRC field itself none.
    expect(refused).toBeGreaterThan(ITERATIONS * 0.99);
  });

  it('decodes mutated records under a recomputed CRC without a bogus fix', () => {
    const rng = prng(SEED + 2);
    const outcomes = { positions: 0, invalid: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const packet = validPacket(rng);
      const data = Buffer.from(packet.subarray(8, packet.length - 4));
      for (let n = 1 + rng.int(3); n > 0; n--) {
        const at = 1 + rng.int(data.length - 1);
        if (rng.int(3) === 0) data[at] = rng.pick([0x00, 0xff, 0x7f, 0x80]);
        else data[at] ^= 1 << rng.int(8);
      }
      const { messages, closed } = feed(teltonika.createSession(), [teltonikaFrame(data)]);
      expect(closed).toBe(false);
      for (const message of messages) outcomes[message.type === 'positions' ? 'positions' : 'invalid']++;
    }
    // Both paths taken: most mutations of coordinates or values still decode, of lengths do not.
    expect(outcomes.positions).toBeGreaterThan(ITERATIONS / 10);
    expect(outcomes.invalid).toBeGreaterThan(ITERATIONS / 10);
  });

  it('keeps the frames of a truncated stream and never acknowledges the missing part', () => {
    const rng = prng(SEED + 3);
    for (let i = 0; i < ITERATIONS / 3; i++) {
      const frames = Array.from({ length: 1 + rng.int(4) }, () => validPacket(rng));
      const stream = Buffer.concat([device.handshake(), ...frames]);
      const cut = rng.int(stream.length);
      const session = teltonika.createSession();
      const { messages, closed } = feed(session, chunked(rng, stream.subarray(0, cut)));
      expect(closed).toBe(false);
      // Exactly the frames wholly before the cut are decoded, the rest is held.
      let end = 2 + 15;
      let whole = end <= cut ? 1 : 0;
      for (const frame of frames) {
        end += frame.length;
        if (end <= cut) whole++;
      }
      expect(messages).toHaveLength(whole);
      expect(session.buffered).toBeLessThan(Math.max(...frames.map((f) => f.length), 17));
    }
  });

  it('refuses oversized frames before holding them, and holds no more than the limit', () => {
    const rng = prng(SEED + 4);
    for (let i = 0; i < 60; i++) {
      const header = Buffer.alloc(8);
      const tooLarge = rng.int(2) === 0;
      const length = tooLarge
        ? teltonika.maxFrameBytes - 11 + rng.int(2 ** 31)
        : teltonika.maxFrameBytes - 12 - rng.int(1000);
      header.writeUInt32BE(length, 4);
      const session = teltonika.createSession();
      const body = rng.bytes(Math.min(length + 4, teltonika.maxFrameBytes));
      const { closed, messages } = feed(session, [header, ...chunked(rng, body, 4000)]);
      if (tooLarge) expect(closed).toBe(true);
      else {
        // The random data's CRC does not match it (one chance in 65,536): never acknowledged.
        expect(closed).toBe(false);
        expect(messages.filter((m) => m.type === 'positions')).toEqual([]);
      }
    }
  });

  it('decodes datagrams without throwing, whatever they hold', () => {
    const rng = prng(SEED + 5);
    for (let i = 0; i < ITERATIONS; i++) {
      const codec = rng.pick(['codec8', 'codec8e'] as const);
      const datagram = Buffer.from(
        device.datagram([randomRecord(rng, codec)], { packetId: rng.int(65536), avlPacketId: rng.int(256) }, codec),
      );
      const mode = rng.int(3);
      if (mode === 2) datagram[rng.int(datagram.length)] ^= 1 << rng.int(8);
      const input =
        mode === 0 ? rng.bytes(rng.int(200)) : mode === 1 ? datagram.subarray(0, rng.int(datagram.length)) : datagram;
      const message = decodeTeltonikaDatagram(input);
      if (message.type === 'positions') {
        for (const fix of message.fixes) expect(Math.abs(fix.lat) <= 90 && Math.abs(fix.lon) <= 180).toBe(true);
        expect(message.ack?.length).toBe(7);
      }
    }
  });
});
