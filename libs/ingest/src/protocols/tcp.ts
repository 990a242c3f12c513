import type { RawFix } from '../fix';

/**
 * What a TCP tracker protocol's decoder makes of the bytes a device sent. The gateway
 * (apps/trackers) owns the connection; a protocol file (libs/ingest/src/protocols/<protocol>.ts) owns the
 * framing, the decoding and the bytes answered. One file per protocol, like Traccar's decoders.
 */
export type DeviceMessage =
  | {
      /** The device names itself (Teltonika IMEI handshake, GT06 login 0x01). */
      type: 'login';
      imei: string;
      /** Bytes to send when the IMEI belongs to a known, enabled vehicle (Teltonika `01`, GT06 echo). */
      accept?: Buffer;
      /** Bytes to send before closing when it does not (Teltonika `00`); undefined: just close. */
      refuse?: Buffer;
    }
  | {
      /** Records to store. `ack` is written only after they are committed to staging. */
      type: 'positions';
      fixes: RawFix[];
      ack?: Buffer;
      /** Protocols that name the device in every frame (H02) set it; others use the session's login. */
      imei?: string;
    }
  | {
      /** Status / heartbeat: no position to store; `reply` is sent at once. */
      type: 'heartbeat';
      reply?: Buffer;
      imei?: string;
      attributes?: Record<string, unknown>;
    }
  | {
      /** The device's answer to a command sent through `encodeCommand` (Codec 12 type 0x06, GT06 0x15, H02 text). */
      type: 'commandResult';
      text: string;
      reply?: Buffer;
      imei?: string;
    }
  | {
      /** A frame that cannot be used (bad CRC, unknown codec, counts that disagree): never acknowledged. */
      type: 'invalid';
      reason: string;
      /** Some protocols still answer (none of the three today); usually undefined. */
      reply?: Buffer;
    };

/** Thrown by `push` when the byte stream cannot be framed at all: the gateway closes the connection. */
export class FrameError extends Error {
  constructor(
    message: string,
    readonly reason: 'garbage' | 'too_large',
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The decoder state of one connection. */
export interface ProtocolSession {
  /**
   * Feeds bytes from the socket; returns the messages of every complete frame in order, and keeps
   * the tail of an incomplete frame (never more than the protocol's `maxFrameBytes`, else FrameError).
   */
  push(chunk: Buffer): DeviceMessage[];
  /** Bytes held for an incomplete frame. */
  readonly buffered: number;
}

export interface TcpProtocol {
  name: 'teltonika' | 'gt06' | 'h02';
  /** Environment variable with the port (`off` disables), and Traccar's default port. */
  portEnv: 'TELTONIKA_PORT' | 'GT06_PORT' | 'H02_PORT';
  defaultPort: number;
  /** The largest frame accepted; a longer one is a FrameError('too_large'). */
  maxFrameBytes: number;
  createSession(): ProtocolSession;
  /** A text command framed for this protocol (Codec 12, GT06 0x80, H02 `*HQ,…#`); `serial` identifies it. */
  encodeCommand(imei: string, text: string, serial: number): Buffer;
}
