import { crc16 } from 'crc';
import { headingOf, nonNegative, percent, type RawFix } from '../fix';
import type { TrackerAttributes } from './attributes';
import { FrameError, type DeviceMessage, type ProtocolSession, type TcpProtocol } from './tcp';

/**
 * Teltonika (FMB, FMC, FMM, FMx6…) over TCP, as Teltonika's "Data Sending Protocols" (Codec) wiki page
 * describes it and Traccar decodes it (TeltonikaProtocolDecoder):
 *
 * - the device opens with its IMEI: 2-byte length + ASCII digits; the server answers `01` (accepted)
 *   or `00` (refused, then closes);
 * - then AVL data packets: 4 zero bytes, 4-byte data length, codec id, record count, records, record
 *   count again, 4-byte CRC-16/IBM (ARC; the first two bytes zero) over codec id … second count. The
 *   server acknowledges with the record count (4 bytes big-endian); a packet not acknowledged is sent
 *   again, so a bad CRC, counts that disagree or an unknown codec are never acknowledged;
 * - Codec 12 (GPRS commands) in both directions: type 0x05 a command to the device, 0x06 its answer.
 *
 * A device may send single 0xFF bytes between frames as a keep-alive (Traccar's TeltonikaFrameDecoder
 * skips them): they are skipped here too.
 */

export const CODEC_8 = 0x08;
export const CODEC_8E = 0x8e;
export const CODEC_12 = 0x0c;
export const CODEC_13 = 0x0d;
export const CODEC_14 = 0x0e;
export const CODEC_16 = 0x10;

/** Codec 12/14 message types: a command to the device, the device's answer, Codec 14's "not my IMEI". */
const COMMAND = 0x05;
const RESPONSE = 0x06;
const NACK_IMEI = 0x11;

/**
 * The largest frame buffered for one connection. Teltonika documents 1,280 bytes as the largest AVL
 * packet (512 on FMB64x); Traccar's tests hold 2 KB Codec 12 camera chunks. 32 KiB leaves room for any
 * of those while bounding what a connection can hold.
 */
const MAX_FRAME_BYTES = 32 * 1024;
/** An IMEI is 15 digits; a few devices send 16/17 (IMEISV). More is not a handshake. */
const MAX_IMEI_DIGITS = 20;
/** Preamble, data length, and the 4-byte CRC after the data. */
const HEADER = 8;
const TRAILER = 4;

/** CRC-16/IBM (a.k.a. ARC: poly 0x8005 reflected, init 0), the checksum every Teltonika frame carries. */
export const crc16Ibm = (data: Buffer): number => crc16(data);

const accept = Buffer.from([0x01]);
const refuse = Buffer.from([0x00]);

/** The record count as the device expects it acknowledged: 4 bytes, big-endian. */
const ackOf = (count: number) => {
  const ack = Buffer.alloc(4);
  ack.writeUInt32BE(count);
  return ack;
};

/** Thrown inside record decoding when a length runs past the data: the frame is invalid. */
class Truncated extends Error {}

/** A bounds-checked big-endian reader over one frame's data. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public offset = 0,
    private readonly end = buf.length,
  ) {}
  private take(n: number): number {
    const at = this.offset;
    if (at + n > this.end) throw new Truncated();
    this.offset = at + n;
    return at;
  }
  u8 = () => this.buf.readUInt8(this.take(1));
  u16 = () => this.buf.readUInt16BE(this.take(2));
  i16 = () => this.buf.readInt16BE(this.take(2));
  u32 = () => this.buf.readUInt32BE(this.take(4));
  i32 = () => this.buf.readInt32BE(this.take(4));
  u64 = () => this.buf.readBigUInt64BE(this.take(8));
  bytes = (n: number) => {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  };
  get remaining() {
    return this.end - this.offset;
  }
}

/** An 8-byte value as a number when it is exact, else its decimal digits. */
const bigValue = (value: bigint): number | string =>
  value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();

type IoValue = number | string;

/** Rounds away the binary noise of a scaled integer (12345 mV × 0.001 → 12.345 V, not 12.344999…). */
const scaled = (raw: number, factor: number, decimals: number) => Number((raw * factor).toFixed(decimals));

/**
 * IO elements with one meaning on every current Teltonika model, after Teltonika's FMB AVL ID list
 * ("FMB AVL ID" / "<model> Teltonika Data Sending Parameters ID" wiki pages, Permanent I/O elements)
 * and the same mapping in Traccar's TeltonikaProtocolDecoder. Model-specific ids (OBD, CAN, BLE
 * sensors, eco-driving, crash, towing…) are left as raw `io<id>` rather than guessed.
 *
 * - 239 Ignition (0/1) → ignition; 240 Movement (0/1) → motion;
 * - 66 External Voltage (mV) → power (V); 67 Battery Voltage (mV) → batteryVoltage (V);
 * - 113 Battery Level (%) → the fix's battery;
 * - 16 Total Odometer (m) → odometer. 199 is the *trip* odometer (reset per trip), so it stays io199;
 * - 21 GSM Signal (0–5) → rssi; 182 GNSS HDOP (×0.1) → hdop;
 * - 69 GNSS Status (0 off, 1 on with fix, 2 on without fix, 3 sleep): anything but 1 means the
 *   coordinates are the last known ones, so the fix is not valid;
 * - 236 Alarm (1 = alarm event) → alarm `general`, as Traccar names it;
 * - 78 iButton (8 bytes, the key's ROM code little-endian) → driverUniqueId, 16 upper-case hex digits as
 *   Traccar writes it (family code last); 207 RFID (8 bytes) → driverUniqueId, the value's 16 hex
 *   digits. 0 means no key / card present: no driverUniqueId.
 */
function normalise(id: number, value: IoValue, fix: RawFix, attributes: TrackerAttributes): void {
  if (id === 78 || id === 207) {
    const driver = driverIdOf(value, id === 78 ? 'little' : 'big');
    if (driver) attributes.driverUniqueId ??= driver;
    return;
  }
  if (typeof value !== 'number') return;
  switch (id) {
    case 239:
      attributes.ignition = value === 1;
      break;
    case 240:
      attributes.motion = value === 1;
      break;
    case 66:
      attributes.power = scaled(value, 0.001, 3);
      break;
    case 67:
      attributes.batteryVoltage = scaled(value, 0.001, 3);
      break;
    case 113:
      fix.battery = percent(value);
      break;
    case 16:
      attributes.odometer = value;
      break;
    case 21:
      attributes.rssi = value;
      break;
    case 182:
      attributes.hdop = scaled(value, 0.1, 1);
      break;
    case 69:
      if (value !== 1) fix.valid = false;
      break;
    case 236:
      if (value === 1) attributes.alarm ??= 'general';
      break;
  }
}

/** An 8-byte driver key as 16 upper-case hex digits (read little- or big-endian); none for 0. */
function driverIdOf(value: IoValue, order: 'little' | 'big'): string | undefined {
  // Fixed-width values arrive as a number when exact, else as decimal digits (bigValue).
  if (typeof value === 'string' && !/^\d{1,20}$/.test(value)) return undefined;
  const raw = BigInt(value);
  if (raw === 0n || raw >= 1n << 64n) return undefined;
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(raw);
  const ordered = order === 'little' ? bytes.reverse() : bytes;
  return ordered.toString('hex').toUpperCase();
}

/** Codec 8, 8 Extended and 16 differ only in the widths of the IO fields. */
interface Layout {
  /** IO ids: 1 byte (Codec 8) or 2 bytes (8E, 16). */
  wideIds: boolean;
  /** IO counts: 1 byte, or 2 bytes (8E). */
  wideCounts: boolean;
  /** Codec 16's generation type byte after the event IO id. */
  generationType: boolean;
  /** Codec 8E's variable-length (NX) IO elements after the 8-byte ones. */
  variable: boolean;
}

const LAYOUTS: Record<number, Layout> = {
  [CODEC_8]: { wideIds: false, wideCounts: false, generationType: false, variable: false },
  [CODEC_8E]: { wideIds: true, wideCounts: true, generationType: false, variable: true },
  [CODEC_16]: { wideIds: true, wideCounts: false, generationType: true, variable: false },
};

const PRIORITY_PANIC = 2;

/** One AVL record (timestamp, priority, GPS element, IO element) as a fix; coordinates checked by the caller. */
function readRecord(r: Reader, layout: Layout): RawFix {
  const id = layout.wideIds ? r.u16 : r.u8;
  const count = layout.wideCounts ? r.u16 : r.u8;
  const ms = r.u64();
  const priority = r.u8();
  const lon = r.i32() / 1e7;
  const lat = r.i32() / 1e7;
  const altitude = r.i16();
  const angle = r.u16();
  const satellites = r.u8();
  const speed = r.u16();
  const event = id();
  const generationType = layout.generationType ? r.u8() : undefined;
  count(); // the total IO count: the per-size counts below are what the data holds

  const ts = ms > 0n && ms <= 8_640_000_000_000_000n ? new Date(Number(ms)) : undefined;
  const attributes: TrackerAttributes & Record<string, unknown> = { priority, satellites };
  if (event !== 0) attributes['event'] = event;
  if (generationType !== undefined) attributes['generationType'] = generationType;
  const fix: RawFix = {
    ts,
    lat,
    lon,
    altitude,
    heading: headingOf(angle),
    speedKmh: nonNegative(speed),
    // Traccar's rule: no satellites, no fix. 0,0 is what a device without any fix yet sends.
    valid: satellites > 0 && !(lat === 0 && lon === 0),
    attributes,
  };
  if (priority === PRIORITY_PANIC) attributes.alarm = 'sos';

  // The third member marks 8E's variable-length (NX) elements: raw hex, kept but not normalised.
  const io: Array<[number, IoValue, boolean?]> = [];
  for (const size of [1, 2, 4, 8] as const) {
    const n = count();
    for (let i = 0; i < n; i++) {
      const ioId = id();
      const value = size === 1 ? r.u8() : size === 2 ? r.u16() : size === 4 ? r.u32() : bigValue(r.u64());
      io.push([ioId, value]);
    }
  }
  if (layout.variable) {
    const n = r.u16();
    for (let i = 0; i < n; i++) {
      const ioId = r.u16();
      io.push([ioId, r.bytes(r.u16()).toString('hex'), true]);
    }
  }
  for (const [ioId, value, variable] of io) {
    attributes[`io${ioId}`] = value;
    if (!variable) normalise(ioId, value, fix, attributes);
  }
  return fix;
}

/** Printable ASCII (with CR/LF/TAB) as text, anything else as hex, like Traccar's `result`. */
function textOf(payload: Buffer): string {
  for (const byte of payload) {
    if ((byte < 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) || byte > 0x7e) return payload.toString('hex');
  }
  return payload.toString('latin1').trim();
}

/**
 * The messages of one complete frame's data (codec id … second count) whose CRC has been checked.
 * Never throws: what cannot be used is `invalid`.
 */
function decodeData(data: Buffer): DeviceMessage[] {
  const codec = data[0];
  const count = data[1];
  const count2 = data[data.length - 1];
  if (data.length < 3 || codec === undefined || count === undefined || count2 === undefined)
    return [{ type: 'invalid', reason: 'data shorter than codec id and two record counts' }];
  if (count !== count2)
    return [{ type: 'invalid', reason: `record counts differ (${count} before the records, ${count2} after)` }];
  const r = new Reader(data, 2, data.length - 1);
  try {
    const layout = LAYOUTS[codec];
    if (layout) {
      const fixes: RawFix[] = [];
      const offGlobe: string[] = [];
      for (let i = 0; i < count; i++) {
        const fix = readRecord(r, layout);
        if (Math.abs(fix.lat) <= 90 && Math.abs(fix.lon) <= 180) fixes.push(fix);
        else offGlobe.push(`${i} (${fix.lat},${fix.lon})`);
      }
      if (r.remaining !== 0)
        return [{ type: 'invalid', reason: `${r.remaining} byte(s) left after ${count} record(s)` }];
      const positions: DeviceMessage = { type: 'positions', fixes, ack: ackOf(count) };
      if (offGlobe.length === 0) return [positions];
      // A record placed off the globe (under a correct CRC: the device's own doing) has no place to be
      // stored. It is reported and left out, and the packet acknowledged all the same: refusing it would
      // have the device send the same packet forever and never get past it.
      return [{ type: 'invalid', reason: `coordinates out of range in record ${offGlobe.join(', ')}` }, positions];
    }
    if (codec === CODEC_12 || codec === CODEC_14) {
      const out: DeviceMessage[] = [];
      for (let i = 0; i < count; i++) {
        const type = r.u8();
        const payload = r.bytes(r.u32());
        if (codec === CODEC_14 && type === NACK_IMEI)
          return [{ type: 'invalid', reason: 'codec 14 command refused: the IMEI is not this device' }];
        if (type !== RESPONSE)
          return [{ type: 'invalid', reason: `codec ${codec} message of type ${type} from a device` }];
        if (codec === CODEC_14) {
          // Codec 14 answers start with the device's IMEI as 8 bytes of hex digits (a leading 0).
          if (payload.length < 8) return [{ type: 'invalid', reason: 'codec 14 answer shorter than its IMEI' }];
          out.push({
            type: 'commandResult',
            text: textOf(payload.subarray(8)),
            imei: payload.subarray(0, 8).toString('hex').replace(/^0/, ''),
          });
        } else out.push({ type: 'commandResult', text: textOf(payload) });
      }
      if (r.remaining !== 0)
        return [{ type: 'invalid', reason: `${r.remaining} byte(s) left after ${count} message(s)` }];
      return out;
    }
    // Codec 13 (COM link serial data with a timestamp) and older codecs (GH3000's 0x07) are not decoded.
    return [{ type: 'invalid', reason: `unsupported codec (id ${codec})` }];
  } catch (error) {
    if (error instanceof Truncated) return [{ type: 'invalid', reason: 'a record runs past the data length' }];
    throw error;
  }
}

class TeltonikaSession implements ProtocolSession {
  /**
   * Chunks received since the last complete frame, joined only once `need` bytes are there: a frame
   * trickling in one byte at a time is copied once, not once per byte.
   */
  private chunks: Buffer[] = [];
  private length = 0;
  /** Bytes needed before anything more can be decided (the frame's size once its header is known). */
  private need = 2;

  get buffered(): number {
    return this.length;
  }

  push(chunk: Buffer): DeviceMessage[] {
    if (chunk.length === 0) return [];
    this.length += chunk.length;
    if (this.length < this.need) {
      // A copy: a few bytes held must not keep the socket's whole read buffer alive.
      this.chunks.push(Buffer.from(chunk));
      return [];
    }
    this.chunks.push(chunk);
    const buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.length);
    const out: DeviceMessage[] = [];
    let at = 0;
    let need: number;
    try {
      for (;;) {
        while (at < buf.length && buf[at] === 0xff) at++;
        const size = frameSize(buf, at);
        if ('need' in size || at + size.frame > buf.length) {
          need = 'need' in size ? size.need : size.frame;
          break;
        }
        out.push(...decodeFrame(buf.subarray(at, at + size.frame)));
        at += size.frame;
      }
    } catch (error) {
      // The connection is closed: nothing is held, and frames decoded before the garbage were not
      // acknowledged, so the device sends them again on its next connection.
      this.chunks = [];
      this.length = 0;
      throw error;
    }
    const tail = buf.subarray(at);
    this.chunks = tail.length ? [Buffer.from(tail)] : [];
    this.length = tail.length;
    this.need = need;
    return out;
  }
}

/**
 * The size of the frame starting at `at`, or how many bytes are needed to know it. Throws FrameError
 * for bytes that start no frame, or a frame larger than the limit (before it is buffered).
 */
function frameSize(buf: Buffer, at: number): { frame: number } | { need: number } {
  const available = buf.length - at;
  if (available < 2) return { need: 2 };
  const length = buf.readUInt16BE(at);
  if (length !== 0) {
    // The IMEI handshake: 2-byte length, then the digits.
    if (length > MAX_IMEI_DIGITS)
      throw new FrameError(`expected an IMEI handshake or an AVL packet, got 0x${length.toString(16)}`, 'garbage');
    return { frame: 2 + length };
  }
  if (available < HEADER) {
    if (available >= 4 && buf.readUInt16BE(at + 2) !== 0)
      throw new FrameError('AVL packet preamble is not four zero bytes', 'garbage');
    return { need: HEADER };
  }
  if (buf.readUInt16BE(at + 2) !== 0) throw new FrameError('AVL packet preamble is not four zero bytes', 'garbage');
  const dataLength = buf.readUInt32BE(at + 4);
  if (dataLength > MAX_FRAME_BYTES - HEADER - TRAILER)
    throw new FrameError(`AVL packet of ${dataLength} data bytes exceeds ${MAX_FRAME_BYTES} bytes`, 'too_large');
  if (dataLength < 3) throw new FrameError(`AVL packet data length ${dataLength} is too short`, 'garbage');
  return { frame: HEADER + dataLength + TRAILER };
}

function decodeFrame(frame: Buffer): DeviceMessage[] {
  const length = frame.readUInt16BE(0);
  if (length !== 0) {
    const imei = frame.toString('latin1', 2);
    if (!/^\d+$/.test(imei)) throw new FrameError('IMEI handshake holds something else than digits', 'garbage');
    return [{ type: 'login', imei, accept, refuse }];
  }
  const data = frame.subarray(HEADER, frame.length - TRAILER);
  const crc = frame.readUInt32BE(frame.length - TRAILER);
  const computed = crc16Ibm(data);
  // Numbers in decimal: the gateway labels a metric with the words of the reason.
  if (crc !== computed)
    return [{ type: 'invalid', reason: `CRC mismatch (the frame says ${crc}, its data gives ${computed})` }];
  return decodeData(data);
}

/** Frames the data (codec id … second count) of a TCP packet: preamble, length, data, CRC. */
export function teltonikaFrame(data: Buffer): Buffer {
  const frame = Buffer.alloc(HEADER + data.length + TRAILER);
  frame.writeUInt32BE(data.length, 4);
  data.copy(frame, HEADER);
  frame.writeUInt32BE(crc16Ibm(data), HEADER + data.length);
  return frame;
}

/** Codec 12 (or 14) data holding one message of `type`. */
export function codec12Data(type: number, payload: Buffer, codec = CODEC_12): Buffer {
  const data = Buffer.alloc(3 + 4 + payload.length + 1);
  data[0] = codec;
  data[1] = 1;
  data[2] = type;
  data.writeUInt32BE(payload.length, 3);
  payload.copy(data, 7);
  data[data.length - 1] = 1;
  return data;
}

/** The longest command text sent: the same limit as a frame the device could send back. */
const MAX_COMMAND_BYTES = MAX_FRAME_BYTES - HEADER - TRAILER - 8;

/**
 * A text command as Codec 12 (type 0x05), e.g. `getinfo`, `setdigout 1`, or any SMS command
 * ("SMS over GPRS"). Codec 12 names neither the device nor the command: the connection names the
 * device, and the device answers commands in the order sent, so `imei` and `serial` are not encoded.
 */
function encodeCommand(_imei: string, text: string, _serial: number): Buffer {
  const payload = Buffer.from(text, 'latin1');
  if (payload.length === 0 || payload.length > MAX_COMMAND_BYTES || !/^[\x20-\x7e\r\n\t]+$/.test(text))
    throw new RangeError(`a Teltonika command is 1–${MAX_COMMAND_BYTES} printable ASCII characters`);
  return teltonikaFrame(codec12Data(COMMAND, payload));
}

export const teltonika: TcpProtocol = {
  name: 'teltonika',
  portEnv: 'TELTONIKA_PORT',
  defaultPort: 5027,
  maxFrameBytes: MAX_FRAME_BYTES,
  createSession: () => new TeltonikaSession(),
  encodeCommand,
};

/**
 * The UDP variant ("Codec 8 protocol sending over UDP"): one datagram is a 2-byte length, 2-byte packet
 * id, a packet type byte (0x01), the AVL packet id, the IMEI (2-byte length + digits) and the AVL data
 * (codec id … second count, no CRC: UDP has its own checksum). The answer echoes the packet id, the
 * AVL packet id and the number of records accepted; nothing is answered to a datagram that cannot be used.
 */
export function decodeTeltonikaDatagram(datagram: Buffer): DeviceMessage {
  const r = new Reader(datagram);
  try {
    const length = r.u16();
    if (length !== datagram.length - 2)
      return { type: 'invalid', reason: `datagram length ${length} where ${datagram.length - 2} bytes follow it` };
    const packetId = r.u16();
    r.u8(); // packet type: 0x01, "data not usable" in Teltonika's words
    const avlPacketId = r.u8();
    const imeiLength = r.u16();
    if (imeiLength === 0 || imeiLength > MAX_IMEI_DIGITS) return { type: 'invalid', reason: 'no IMEI in the datagram' };
    const imei = r.bytes(imeiLength).toString('latin1');
    if (!/^\d+$/.test(imei)) return { type: 'invalid', reason: 'the IMEI holds something else than digits' };
    const data = datagram.subarray(r.offset);
    if (data[0] === undefined || !LAYOUTS[data[0]])
      return { type: 'invalid', reason: `unsupported codec over UDP (id ${data[0] ?? 'missing'})` };
    const [message] = decodeData(data);
    if (message?.type !== 'positions') return message ?? { type: 'invalid', reason: 'empty datagram' };
    const ack = Buffer.alloc(7);
    ack.writeUInt16BE(5, 0);
    ack.writeUInt16BE(packetId, 2);
    ack[4] = 0x01;
    ack[5] = avlPacketId;
    ack[6] = message.fixes.length;
    return { ...message, imei, ack };
  } catch (error) {
    if (error instanceof Truncated) return { type: 'invalid', reason: 'datagram shorter than its header' };
    throw error;
  }
}
