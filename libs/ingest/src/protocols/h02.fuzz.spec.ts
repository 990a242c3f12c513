import { seededRandom } from '@fleet/geo';
import { H02_BINARY_MIN_BYTES, h02 } from './h02';
import { FrameError, type DeviceMessage } from './tcp';
import { H02Device, type H02BinaryLayout } from './testing/h02-device';

/** A seeded PRNG (@fleet/geo's mulberry32), so a failure replays exactly. */
const prng = seededRandom;

const SEED = 0x48023;
/** A fixed number of rounds (not a time budget), so a run replays exactly on a busy machine too. */
const ROUNDS = 400;
const ALPHABET = Buffer.from('*#,0123456789.ABEHNQSVWXTLINKBR-\r\n ', 'latin1');

function checkMessages(messages: DeviceMessage[]) {
  for (const message of messages) {
    if (message.type !== 'positions') continue;
    expect(message.ack === undefined || message.ack.length > 0).toBe(true);
    expect(message.imei === undefined || /^\d{1,20}$/.test(message.imei)).toBe(true);
    for (const fix of message.fixes) {
      expect(fix.lat).toBeGreaterThanOrEqual(-90);
      expect(fix.lat).toBeLessThanOrEqual(90);
      expect(fix.lon).toBeGreaterThanOrEqual(-180);
      expect(fix.lon).toBeLessThanOrEqual(180);
      expect(fix.lat === 0 && fix.lon === 0).toBe(false);
      expect(fix.ts && Number.isFinite(fix.ts.getTime()) && fix.ts.getTime() >= Date.UTC(2000, 0, 1)).toBe(true);
      if (fix.speedKmh !== undefined) expect(fix.speedKmh >= 0 && fix.speedKmh <= 2000).toBe(true);
      if (fix.heading !== undefined) expect(fix.heading >= 0 && fix.heading < 360).toBe(true);
    }
  }
}

/**
 * Feeds `bytes` in random chunks (up to `maxChunk` bytes); only FrameError may escape, and the buffer
 * stays bounded (`maxBuffered`: the text frame limit, or less for binary-only input).
 */
function feed(bytes: Buffer, random: () => number, maxBuffered = h02.maxFrameBytes, maxChunk = 64): DeviceMessage[] {
  const session = h02.createSession();
  const all: DeviceMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * maxChunk);
    try {
      const messages = session.push(bytes.subarray(at, at + size));
      checkMessages(messages);
      all.push(...messages);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      return all; // the gateway closes the connection here
    }
    expect(session.buffered).toBeLessThanOrEqual(maxBuffered);
    at += size;
  }
  return all;
}

describe('h02 fuzz (seeded)', () => {
  const device = new H02Device('353505221264507');
  const valid = (random: () => number) =>
    device.position({
      ts: new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 1e11)),
      lat: random() * 180 - 90,
      lon: random() * 360 - 180,
      speedKmh: random() * 200,
      heading: random() * 359,
      valid: random() < 0.8,
    });

  it('survives random, mutated, truncated and oversized input without a bogus fix', () => {
    const random = prng(SEED);
    for (let rounds = 1; rounds <= ROUNDS; rounds++) {
      const kind = rounds % 4;
      if (kind === 0) {
        // random bytes over the protocol's own alphabet (so frames do get started and ended)
        const bytes = Buffer.alloc(1 + Math.floor(random() * 600));
        for (let i = 0; i < bytes.length; i++) bytes[i] = ALPHABET[Math.floor(random() * ALPHABET.length)];
        feed(bytes, random);
        // and a valid sentence still decodes (the fuzz is not feeding a decoder that refuses everything)
        const [message] = h02.createSession().push(valid(random));
        expect(message.type).toBe('positions');
      } else if (kind === 1) {
        // valid sentences with bytes replaced
        const bytes = Buffer.concat([valid(random), valid(random), valid(random)]);
        for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
          bytes[Math.floor(random() * bytes.length)] =
            random() < 0.7 ? ALPHABET[Math.floor(random() * ALPHABET.length)] : Math.floor(random() * 256);
        }
        feed(bytes, random);
      } else if (kind === 2) {
        // truncated sentences back to back
        const parts = [valid(random), valid(random), valid(random)].map((b) =>
          b.subarray(0, Math.floor(random() * b.length)),
        );
        feed(Buffer.concat(parts), random);
      } else {
        // an oversized sentence
        feed(
          Buffer.concat([Buffer.from('*HQ,1,V1,'), Buffer.alloc(h02.maxFrameBytes + Math.floor(random() * 100), ',')]),
          random,
        );
      }
    }
  });

  describe('binary ($) frames', () => {
    const LAYOUTS: H02BinaryLayout[] = ['short', 'long', 'imei'];
    const binaryDevice = new H02Device('4106011660');
    const imeiDevice = new H02Device('353505221264507');
    const record = (random: () => number) => ({
      ts: new Date(Date.UTC(2000, 0, 1) + Math.floor(random() * 3e12)),
      ...(random() < 0.05 ? { lat: 0, lon: 0 } : { lat: random() * 180 - 90, lon: random() * 360 - 180 }),
      speedKmh: random() * 1800,
      heading: random() * 359,
      valid: random() < 0.8,
      battery: Math.floor(7 + random() * 94),
    });
    const binary = (random: () => number, layout = LAYOUTS[Math.floor(random() * 3)]) =>
      (layout === 'imei' ? imeiDevice : binaryDevice).binaryPosition(record(random), layout);
    /** Random bytes rich in what binary frames are made of: `$`, BCD bytes, and now and then `*`. */
    const binaryNoise = (random: () => number, length: number) => {
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) {
        const r = random();
        bytes[i] =
          r < 0.1
            ? 0x24
            : r < 0.12
              ? 0x2a
              : r < 0.8
                ? Math.floor(random() * 10) * 16 + Math.floor(random() * 10)
                : Math.floor(random() * 256);
      }
      return bytes;
    };
    /** 100 kB of that noise made once (the generator costs far more than decoding): rounds take slices of it. */
    const noisePool = binaryNoise(prng(SEED + 3), 100_000);
    const noiseSlice = (random: () => number, length: number) => {
      const at = Math.floor(random() * (noisePool.length - length));
      return noisePool.subarray(at, at + length);
    };

    it('decodes intact binary streams exactly, whatever the chunking', () => {
      const random = prng(SEED + 1);
      for (let rounds = 0; rounds < 200; rounds++) {
        const layout = LAYOUTS[rounds % 3];
        const device = layout === 'imei' ? imeiDevice : binaryDevice;
        const records = Array.from({ length: 1 + Math.floor(random() * 5) }, () => record(random));
        const messages = feed(
          Buffer.concat(records.map((r) => device.binaryPosition(r, layout))),
          random,
          H02_BINARY_MIN_BYTES + 5,
        );
        expect(messages).toHaveLength(records.length);
        messages.forEach((message, i) => {
          const r = records[i];
          if (r.lat === 0 && r.lon === 0) {
            expect(message.type).toBe('heartbeat');
            return;
          }
          if (message.type !== 'positions') throw new Error(`expected positions, got ${JSON.stringify(message)}`);
          expect(message.imei).toBe(device.imei);
          expect(message.fixes[0].ts?.getTime()).toBe(Math.floor(r.ts.getTime() / 1000) * 1000);
          expect(message.fixes[0].lat).toBeCloseTo(r.lat, 5);
          expect(message.fixes[0].lon).toBeCloseTo(r.lon, 5);
          expect(message.fixes[0].valid).toBe(r.valid);
        });
      }
    });

    it('survives random, mutated, truncated and oversized binary input: no crash, no bogus fix, bounded buffer', () => {
      const random = prng(SEED + 2);
      let decoded = 0;
      for (let rounds = 1; rounds <= ROUNDS; rounds++) {
        const kind = rounds % 5;
        if (kind === 0) {
          // random bytes made of `$`, BCD and `*`
          feed(noiseSlice(random, 1 + Math.floor(random() * 800)), random);
        } else if (kind === 1) {
          // valid binary frames (and a text one) with bytes replaced: a fix decoded from one is in range, and
          // its time and position come from the frame's own digits
          const bytes = Buffer.concat([binary(random), binary(random), valid(random), binary(random)]);
          for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
            bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
          }
          decoded += feed(bytes, random).filter((m) => m.type === 'positions').length;
        } else if (kind === 2) {
          // truncated binary frames back to back, between whole ones
          const parts = [binary(random), binary(random), binary(random), binary(random)].map((b, i) =>
            i % 2 === 0 ? b : b.subarray(0, Math.floor(random() * b.length)),
          );
          const messages = feed(Buffer.concat(parts), random);
          decoded += messages.filter((m) => m.type === 'positions').length;
        } else if (kind === 3) {
          // an oversized binary frame: a valid start, then up to 100 kB of binary-looking noise, in large
          // chunks; the session never holds more than a frame's start
          const bytes = Buffer.concat([
            binary(random, 'short'),
            noiseSlice(random, 20_000 + Math.floor(random() * 80_000)),
          ]);
          const started = process.cpuUsage();
          feed(bytes, random, h02.maxFrameBytes, 16_384);
          // bounded work too: no quadratic rescans (CPU time, generous: ~5 ms here when nothing rescans)
          const cpu = process.cpuUsage(started);
          expect((cpu.user + cpu.system) / 1000).toBeLessThan(1_000);
        } else {
          // binary and text frames interleaved, cut anywhere: only complete frames decode
          const bytes = Buffer.concat([valid(random), binary(random), valid(random), binary(random), valid(random)]);
          feed(bytes.subarray(0, Math.floor(random() * bytes.length)), random);
        }
      }
      expect(decoded).toBeGreaterThan(100); // the mutations left most frames decodable: the fuzz reaches the decoder
    });
  });
});
