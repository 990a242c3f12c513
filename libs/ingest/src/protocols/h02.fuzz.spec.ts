import { seededRandom } from '@fleet/geo';
import { h02 } from './h02';
import { FrameError, type DeviceMessage } from './tcp';
import { H02Device } from './testing/h02-device';

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

/** Feeds `bytes` in random chunks; only FrameError may escape, and the buffer stays bounded. */
function feed(bytes: Buffer, random: () => number): void {
  const session = h02.createSession();
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * 64);
    try {
      checkMessages(session.push(bytes.subarray(at, at + size)));
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      return; // the gateway closes the connection here
    }
    expect(session.buffered).toBeLessThanOrEqual(h02.maxFrameBytes);
    at += size;
  }
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
});
