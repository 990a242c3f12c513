// A line-based stand-in for a tracker protocol, for the gateway's own tests: every message type of
// DeviceMessage in a form a test can type. Not a real protocol (the real ones live in libs/ingest).
//   LOGIN <imei>                     → login (accept `OK`, refuse `NO`)
//   POS <lat> <lon> <tsMs> <serial>  → positions of the logged-in device, ack `ACK <serial>`
//   FIX <imei> <lat> <lon> <tsMs> <serial> → positions naming their device (as H02 does)
//   PING                             → heartbeat, reply `PONG`
//   RES <text>                       → command result, reply `GOT`
//   anything else printable          → invalid
//   a control byte (not \r \n)       → FrameError('garbage'); a line over 256 bytes → FrameError('too_large')
import { FrameError, type DeviceMessage, type ProtocolSession, type TcpProtocol } from '@fleet/ingest';

const MAX = 256;
const line = (text: string) => Buffer.from(`${text}\n`);

function decode(text: string): DeviceMessage {
  const [word, ...args] = text.trim().split(/\s+/);
  const fix = (lat: string, lon: string, ts: string) => ({
    lat: Number(lat),
    lon: Number(lon),
    ts: new Date(Number(ts)),
  });
  switch (word) {
    case 'LOGIN':
      return { type: 'login', imei: args[0], accept: line('OK'), refuse: line('NO') };
    case 'POS':
      return { type: 'positions', fixes: [fix(args[0], args[1], args[2])], ack: line(`ACK ${args[3]}`) };
    case 'FIX':
      return { type: 'positions', imei: args[0], fixes: [fix(args[1], args[2], args[3])], ack: line(`ACK ${args[4]}`) };
    case 'PING':
      return { type: 'heartbeat', reply: line('PONG') };
    case 'RES':
      return { type: 'commandResult', text: args.join(' '), reply: line('GOT') };
    default:
      return { type: 'invalid', reason: `unknown line ${word?.slice(0, 20)}` };
  }
}

export const lineProtocol: TcpProtocol = {
  name: 'h02',
  portEnv: 'H02_PORT',
  defaultPort: 5013,
  maxFrameBytes: MAX,
  createSession(): ProtocolSession {
    let tail = Buffer.alloc(0);
    return {
      get buffered() {
        return tail.length;
      },
      push(chunk) {
        let data = Buffer.concat([tail, chunk]);
        const out: DeviceMessage[] = [];
        for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
          const frame = data.subarray(0, nl);
          data = data.subarray(nl + 1);
          if (frame.length > MAX) throw new FrameError('line too long', 'too_large');
          if (frame.some((b) => b < 32 && b !== 13)) throw new FrameError('control byte', 'garbage');
          out.push(decode(frame.toString('latin1')));
        }
        if (data.length > MAX) throw new FrameError('line too long', 'too_large');
        tail = Buffer.from(data);
        return out;
      },
    };
  },
  encodeCommand: (imei, text, serial) => line(`CMD ${imei} ${serial} ${text}`),
};
