import { CODEC_12, CODEC_8, CODEC_8E, codec12Data, crc16Ibm, teltonikaFrame } from '../teltonika';

/**
 * A simulated Teltonika device: the bytes an FMB tracker sends (IMEI handshake, Codec 8 / 8 Extended AVL
 * packets with a correct CRC, Codec 12 answers) and a reader of what the server answers (the handshake
 * byte, 4-byte acknowledgements, Codec 12 commands). The inverse of `teltonika`, for the decoder's own
 * round trip, the gateway's tests and the tracker simulator.
 */

/** An IO value: a number or bigint in the smallest width that holds it, an explicit width, or bytes (8E NX). */
export type TeltonikaIoValue = number | bigint | Buffer | { bytes: 1 | 2 | 4 | 8; value: number | bigint };

export interface TeltonikaRecord {
  /** Fix time (Date or epoch milliseconds). */
  ts: Date | number;
  lat: number;
  lon: number;
  /** km/h, whole. */
  speed?: number;
  /** Degrees, whole. */
  heading?: number;
  /** Metres, whole. */
  altitude?: number;
  /** 0 means no fix (the decoder marks the fix invalid). Default 8. */
  satellites?: number;
  /** 0 low, 1 high, 2 panic. */
  priority?: number;
  /** The IO id that triggered the record, 0 for none. */
  eventId?: number;
  /** IO elements by id (239 ignition, 66 external voltage in mV, …); as pairs to choose their order. */
  io?: Record<number, TeltonikaIoValue> | Array<[number, TeltonikaIoValue]>;
}

export type TeltonikaCodec = 'codec8' | 'codec8e';

/** What the server sent, as the device reads it. */
export type TeltonikaAnswer =
  { type: 'handshake'; accepted: boolean } | { type: 'ack'; count: number } | { type: 'command'; text: string };

const width = (value: number | bigint): 1 | 2 | 4 | 8 =>
  value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffff ? 4 : 8;

function writeUnsigned(value: number | bigint, bytes: 1 | 2 | 4 | 8): Buffer {
  const out = Buffer.alloc(bytes);
  if (bytes === 8) out.writeBigUInt64BE(BigInt(value));
  else out.writeUIntBE(Number(value), 0, bytes);
  return out;
}

/** The AVL data (codec id … second count) of `records`. */
export function avlData(records: TeltonikaRecord[], codec: TeltonikaCodec = 'codec8'): Buffer {
  if (records.length === 0 || records.length > 255) throw new RangeError('an AVL packet holds 1–255 records');
  const wide = codec === 'codec8e';
  const idBytes = wide ? 2 : 1;
  const u = (value: number, bytes: 1 | 2 | 4 | 8) => writeUnsigned(value, bytes);
  const parts: Buffer[] = [Buffer.from([wide ? CODEC_8E : CODEC_8, records.length])];
  for (const record of records) {
    const gps = Buffer.alloc(8 + 1 + 15);
    gps.writeBigUInt64BE(BigInt(record.ts instanceof Date ? record.ts.getTime() : record.ts), 0);
    gps.writeUInt8(record.priority ?? 0, 8);
    gps.writeInt32BE(Math.round(record.lon * 1e7), 9);
    gps.writeInt32BE(Math.round(record.lat * 1e7), 13);
    gps.writeInt16BE(Math.round(record.altitude ?? 0), 17);
    gps.writeUInt16BE(Math.round(record.heading ?? 0), 19);
    gps.writeUInt8(record.satellites ?? 8, 21);
    gps.writeUInt16BE(Math.round(record.speed ?? 0), 22);
    parts.push(gps);

    const sized: Record<1 | 2 | 4 | 8, Buffer[]> = { 1: [], 2: [], 4: [], 8: [] };
    const variable: Buffer[] = [];
    const io = Array.isArray(record.io) ? record.io : Object.entries(record.io ?? {});
    for (const [key, raw] of io) {
      const id = Number(key);
      if (id > (wide ? 0xffff : 0xff)) throw new RangeError(`IO id ${id} does not fit ${codec}`);
      if (Buffer.isBuffer(raw)) {
        if (!wide) throw new RangeError('variable-length IO values need Codec 8 Extended');
        variable.push(u(id, 2), u(raw.length, 2), raw);
        continue;
      }
      const { bytes, value } = typeof raw === 'object' ? raw : { bytes: width(raw), value: raw };
      sized[bytes].push(u(id, idBytes), writeUnsigned(value, bytes));
    }
    const counts = ([1, 2, 4, 8] as const).map((bytes) => sized[bytes].length / 2);
    const total = counts.reduce((a, b) => a + b, 0) + variable.length / 3;
    parts.push(u(record.eventId ?? 0, idBytes), u(total, idBytes));
    for (const bytes of [1, 2, 4, 8] as const) parts.push(u(sized[bytes].length / 2, idBytes), ...sized[bytes]);
    if (wide) parts.push(u(variable.length / 3, 2), ...variable);
  }
  parts.push(Buffer.from([records.length]));
  return Buffer.concat(parts);
}

export class TeltonikaDevice {
  private pending: Buffer = Buffer.alloc(0);
  private awaitingHandshake = false;

  constructor(
    readonly imei: string,
    readonly codec: TeltonikaCodec = 'codec8',
  ) {}

  /** The IMEI handshake: 2-byte length and the digits. */
  handshake(): Buffer {
    this.awaitingHandshake = true;
    const digits = Buffer.from(this.imei, 'latin1');
    const out = Buffer.alloc(2 + digits.length);
    out.writeUInt16BE(digits.length);
    digits.copy(out, 2);
    return out;
  }

  /** An AVL data packet over TCP, with its CRC. */
  packet(records: TeltonikaRecord[], codec: TeltonikaCodec = this.codec): Buffer {
    return teltonikaFrame(avlData(records, codec));
  }

  /** The UDP datagram of `records` (no CRC; the packet and AVL packet ids are echoed in the answer). */
  datagram(records: TeltonikaRecord[], ids: { packetId: number; avlPacketId: number }, codec = this.codec): Buffer {
    const digits = Buffer.from(this.imei, 'latin1');
    const data = avlData(records, codec);
    const out = Buffer.alloc(2 + 2 + 1 + 1 + 2 + digits.length + data.length);
    out.writeUInt16BE(out.length - 2, 0);
    out.writeUInt16BE(ids.packetId, 2);
    out[4] = 0x01;
    out[5] = ids.avlPacketId;
    out.writeUInt16BE(digits.length, 6);
    digits.copy(out, 8);
    data.copy(out, 8 + digits.length);
    return out;
  }

  /** The device's answer to a command: Codec 12 type 0x06 with `text`. */
  commandResponse(text: string): Buffer {
    return teltonikaFrame(codec12Data(0x06, Buffer.from(text, 'latin1')));
  }

  /**
   * Reads what the server sent. The first byte after the handshake is its answer (01/00); after that an
   * acknowledgement is 4 bytes holding a non-zero record count, and a frame that starts with four zero
   * bytes is a Codec 12 command. Throws on anything a device would not understand.
   */
  receive(chunk: Buffer): TeltonikaAnswer[] {
    let buf = Buffer.concat([this.pending, chunk]);
    const out: TeltonikaAnswer[] = [];
    for (;;) {
      if (this.awaitingHandshake) {
        if (buf.length < 1) break;
        const byte = buf[0];
        if (byte !== 0 && byte !== 1) throw new Error(`handshake answer 0x${byte?.toString(16)} is neither 00 nor 01`);
        out.push({ type: 'handshake', accepted: byte === 1 });
        this.awaitingHandshake = false;
        buf = buf.subarray(1);
        continue;
      }
      if (buf.length < 4) break;
      const first = buf.readUInt32BE(0);
      if (first !== 0) {
        out.push({ type: 'ack', count: first });
        buf = buf.subarray(4);
        continue;
      }
      if (buf.length < 8) break;
      const size = 8 + buf.readUInt32BE(4) + 4;
      if (buf.length < size) break;
      out.push({ type: 'command', text: readCommand(buf.subarray(0, size)) });
      buf = buf.subarray(size);
    }
    this.pending = Buffer.from(buf);
    return out;
  }
}

/** The text of a Codec 12 command frame; throws when the frame is not one. */
function readCommand(frame: Buffer): string {
  const data = frame.subarray(8, frame.length - 4);
  const crc = frame.readUInt32BE(frame.length - 4);
  if (crc !== crc16Ibm(data)) throw new Error('command frame with a bad CRC');
  if (data[0] !== CODEC_12 || data[2] !== 0x05) throw new Error('not a Codec 12 command');
  const size = data.readUInt32BE(3);
  if (data[1] !== 1 || data[data.length - 1] !== 1 || 7 + size + 1 !== data.length)
    throw new Error('Codec 12 command with counts or size that disagree');
  return data.toString('latin1', 7, 7 + size);
}
