import { seededRandom } from '@fleet/geo';
import { crcX25, gt06, gt06Frame } from './gt06';
import { FrameError, type DeviceMessage } from './tcp';
import { Gt06Device } from './testing/gt06-device';

/** A seeded PRNG (@fleet/geo's mulberry32), so a failure replays exactly. */
const prng = seededRandom;

const SEED = 0x6706;
/** A fixed number of rounds (not a time budget), so a run replays exactly on a busy machine too. */
const ROUNDS = 1000;

/** True when the frame starting at `frame[0]` carries a CRC that matches its bytes. */
const crcMatches = (frame: Buffer) =>
  frame.length >= 10 && frame.readUInt16BE(frame.length - 4) === crcX25(frame.subarray(2, frame.length - 4));

function checkMessages(messages: DeviceMessage[]) {
  for (const message of messages) {
    if (message.type === 'invalid' && message.reason === 'bad crc') expect(message.reply).toBeUndefined();
    if (message.type !== 'positions') continue;
    for (const fix of message.fixes) {
      expect(fix.lat).toBeGreaterThanOrEqual(-90);
      expect(fix.lat).toBeLessThanOrEqual(90);
      expect(fix.lon).toBeGreaterThanOrEqual(-180);
      expect(fix.lon).toBeLessThanOrEqual(180);
      expect(fix.lat === 0 && fix.lon === 0).toBe(false);
      // 2000-01-01 on the device's clock, at most 14 h ahead of UTC (a login's time zone)
      expect(
        fix.ts && Number.isFinite(fix.ts.getTime()) && fix.ts.getTime() >= Date.UTC(2000, 0, 1) - 14 * 3600e3,
      ).toBe(true);
      if (fix.speedKmh !== undefined) expect(fix.speedKmh >= 0 && fix.speedKmh <= 255).toBe(true);
      if (fix.heading !== undefined) expect(fix.heading >= 0 && fix.heading < 360).toBe(true);
      if (fix.battery !== undefined) expect(fix.battery >= 0 && fix.battery <= 100).toBe(true);
    }
  }
}

/** Feeds `bytes` in random chunks; only FrameError may escape, and the buffer stays bounded. */
function feed(bytes: Buffer, random: () => number): DeviceMessage[] {
  const session = gt06.createSession();
  const all: DeviceMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * 64);
    try {
      const messages = session.push(bytes.subarray(at, at + size));
      checkMessages(messages);
      all.push(...messages);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      expect(session.buffered).toBe(0);
      return all; // the gateway closes the connection here
    }
    expect(session.buffered).toBeLessThanOrEqual(gt06.maxFrameBytes);
    at += size;
  }
  return all;
}

describe('gt06 fuzz (seeded)', () => {
  const device = new Gt06Device('864717003283581');
  const record = (random: () => number) => ({
    ts: new Date(Date.UTC(2001, 0, 1) + Math.floor(random() * 2e12)),
    lat: random() * 180 - 90,
    lon: random() * 360 - 180,
    speedKmh: random() * 250,
    heading: random() * 359,
    valid: random() < 0.8,
  });
  const valid = (random: () => number) => {
    const pick = Math.floor(random() * 4);
    if (pick === 0) return device.position(record(random), { archive: random() < 0.5 });
    if (pick === 1) return device.alarm(record(random), 'sos');
    if (pick === 2) return device.heartbeat({ level: 3 });
    return device.position(record(random), { protocol: 0x12 });
  };

  it('survives random, mutated, truncated and oversized input; a mutated frame is never acknowledged', () => {
    const random = prng(SEED);
    let badCrc = 0;
    let zoned = 0;
    for (let rounds = 1; rounds <= ROUNDS; rounds++) {
      const kind = rounds % 6;
      if (kind === 0) {
        // random bytes behind a valid start, so framing gets exercised past the first byte
        const bytes = Buffer.alloc(2 + Math.floor(random() * 300));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
        bytes[0] = bytes[1] = random() < 0.5 ? 0x78 : 0x79;
        feed(bytes, random);
      } else if (kind === 1) {
        // one valid frame with payload bytes changed (not length or stop): never acknowledged unless the CRC
        // happens to match the new bytes
        const frame = Buffer.from(valid(random));
        for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
          const at = 3 + Math.floor(random() * (frame.length - 7));
          frame[at] = Math.floor(random() * 256);
        }
        const [message] = feed(frame, random);
        if (!crcMatches(frame)) {
          badCrc++;
          expect(message).toEqual({ type: 'invalid', reason: 'bad crc' });
        }
      } else if (kind === 2) {
        // truncated frames back to back
        feed(
          Buffer.concat([valid(random), valid(random).subarray(0, Math.floor(random() * 30)), valid(random)]),
          random,
        );
      } else if (kind === 3) {
        // any byte of a stream replaced, length and stop bytes included
        const bytes = Buffer.concat([valid(random), valid(random), valid(random)]);
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        feed(bytes, random);
      } else if (kind === 5) {
        // a login with any time zone / language word (and any type code), then frames from the device's clock:
        // times shifted by at most 14 h, never a crash; the stream's frames mutated or truncated now and then
        const login = gt06Frame(
          0x01,
          Buffer.concat([
            Buffer.from('0864717003283581', 'hex'),
            Buffer.from([random() * 256, random() * 256, random() * 256, random() * 256].map(Math.floor)),
          ]),
          1,
        );
        const records = [record(random), record(random)];
        const bytes = Buffer.concat([login, ...records.map((r) => device.position(r))]);
        const intact = random() < 0.5;
        if (!intact) bytes[10 + Math.floor(random() * (bytes.length - 10))] = Math.floor(random() * 256);
        const cut = intact ? bytes.length : Math.floor(random() * bytes.length);
        const messages = feed(bytes.subarray(0, cut), random);
        const fixes = messages.flatMap((m) => (m.type === 'positions' ? m.fixes : []));
        if (intact) {
          expect(messages[0].type).toBe('login');
          expect(fixes).toHaveLength(records.filter((r) => r.lat !== 0 || r.lon !== 0).length);
          fixes.forEach((fix, i) => {
            // the device writes whole seconds; a time zone is a whole number of quarter hours within ±14 h
            const shift = Math.floor(records[i].ts.getTime() / 1000) * 1000 - (fix.ts as Date).getTime();
            expect(Math.abs(shift)).toBeLessThanOrEqual(14 * 3600e3);
            expect(Math.abs(shift) % (15 * 60e3)).toBe(0);
            if (shift !== 0) zoned++;
          });
        }
      } else {
        // an oversized (extended) frame
        const length = gt06.maxFrameBytes + Math.floor(random() * 60000);
        const head = Buffer.from([0x79, 0x79, (length >> 8) & 0xff, length & 0xff]);
        feed(Buffer.concat([head, Buffer.alloc(200)]), random);
      }
    }
    expect(badCrc).toBeGreaterThan(10);
    expect(zoned).toBeGreaterThan(0); // some random words were time zones, and shifted the times
  });
});
