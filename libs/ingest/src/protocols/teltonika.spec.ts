import { TeltonikaDevice, avlData, type TeltonikaRecord } from '../testing';
import { FrameError, type DeviceMessage } from './tcp';
import { codec12Data, crc16Ibm, decodeTeltonikaDatagram, teltonika, teltonikaFrame } from './teltonika';

// Frames from published sources, each named where it is used:
// - WIKI: Teltonika's "Teltonika Data Sending Protocols" wiki page (formerly "Codec"),
//   wiki.teltonika-gps.com/view/Teltonika_Data_Sending_Protocols — the examples of each codec with
//   their decoded tables.
// - TRACCAR: traccar/traccar src/test/java/org/traccar/protocol/TeltonikaProtocolDecoderTest.java and
//   TeltonikaFrameDecoderTest.java (frames captured from devices).
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** WIKI, "IMEI" / communication with server: 000F + "356307042441013". */
const HANDSHAKE = '000F333536333037303432343431303133';
/** WIKI, Codec 8 example 1: one record, IO 21=3, 1=1, 66=0x5E0F, 241=0x601A, 78=0. */
const CODEC8_ONE = `000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F1
  0000601A014E0000000000000000010000C7CF`;
/** WIKI, Codec 8 example 2: one record, IO 66=0x5E10. */
const CODEC8_TWO = `000000000000002808010000016B40D9AD80010000000000000000000000000000000103021503010101425E10000001
  0000F22A`;
/** WIKI, Codec 8 example 3: two records, IO 1 = 0 then 1. */
const CODEC8_TWO_RECORDS = `000000000000004308020000016B40D57B48010000000000000000000000000000000101010100000000000001
  6B40D5C198010000000000000000000000000000000101010101000000020000252C`;
/** TRACCAR, TeltonikaProtocolDecoderTest: three Codec 8 records from an FMB device in Karachi. */
const CODEC8_THREE_RECORDS = `00000000000000da08030000017fcedf499600280431be0eded45d0038012d100000fa100901000200b300b40045
  01500415034702fa00054232a1180000cd3b2fce281d43001f02c700000006f10000a029000000017fcedea99600280432070eded3dd003800
  46130009000f0801010200b300b400450150051502470205423276180009cd3b2fce281d43001f02c700000027f10000a0290000000179d508
  53180027f65d3f0ed67212001500f1110061000f0801010200b300b4004501500515034702054234f4180061cd53d1ce28c043003e02c70000
  0147f1000000290003000052cb`;
/** WIKI, Codec 8 Extended example: 2-byte ids and counts, IO 1, 17, 16 (odometer), 11 and 14 (8 bytes). */
const CODEC8E = `000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011
  001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994`;
/** TRACCAR, TeltonikaProtocolDecoderTest: Codec 8E, two records each with a 23-byte NX element 385 (BLE beacons). */
const CODEC8E_BEACONS = `00000000000000858e0200000174431aadc100061d888f21000e8a0032002e0c00000181000100000000000000000001
  0181001711210102030405060708090a0b0c0d0e0f10020b010ad000000174431a389100061d888f21000e8a0033002e0d0000018100010000
  00000000000000010181001711210102030405060708090a0b0c0d0e0f10020b010ad2020000492b`;
/** TRACCAR, TeltonikaProtocolDecoderTest: Codec 8E with ignition, odometer and NX elements 256 (VIN) and 281 (DTCs). */
const CODEC8E_VIN = `00000000000000a38e0100000178b11c9e1000040bbbc91f03190c002100e113001300000010000600ef0100f001001503
  00c800004501001e070005004237e00018000a00ce166200430f970024059f000300f10000665900c70000001e00100000a1b5000000020100
  00115756315a5a5a32455a38363031353338380119002950303239392c50303637352c50303637342c50303637322c50303637312c50303437
  312c50324241430100001ad8`;
/** WIKI, Codec 16 example: two records, event IO 11, generation type 5 (On Change). */
const CODEC16 = `000000000000005F10020000016BDBC7833000000000000000000000000000000000000B05040200010000030002000B
  00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002000B00260042563A0000020000
  5FB3`;
/** TRACCAR, TeltonikaProtocolDecoderTest: a Codec 16 frame whose CRC field (0x09A5) does not match its data. */
const CODEC16_WRONG_CRC = `000000000000009D10020000013feb55ff74000f0ea850209a690000AE00B90B00000000070A0500010000020000030000
  04000120000200180000004601290200C700000000004C0000000001003E00000000000000000000015B198C7498000F0DBC502095872F00AE
  00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E00000000000000
  0002000009A5`;
/** TRACCAR, TeltonikaProtocolDecoderTest: a GH3000 (codec 0x07) packet, which this server does not decode. */
const GH3000 = `0000000000000055070450aa14320201f00150aa17f3031f42332a4c4193d68c008d00020901f00150aa1b6a031f423383f541
  93624f009d00000a01f00150aa1c230fc01a0000552b040164f400dd00f0010143100c0105000000050400006846`;
/** WIKI, Codec 12 example: the server sends `getinfo`. */
const CODEC12_GETINFO = '000000000000000F0C010500000007676574696E666F0100004312';
/** WIKI, Codec 12 example: the device's answer to `getinfo`. */
const CODEC12_RESPONSE = `00000000000000900C010600000088494E493A323031392F372F323220373A3232205254433A323031392F372F3232
  20373A3533205253543A32204552523A312053523A302042523A302043463A302046473A3020464C3A302054553A302F302055543A3020534D
  533A30204E4F4750533A303A3330204750533A31205341543A302052533A332052463A36352053463A31204D443A30010000C78F`;
/** WIKI, Codec 14 example: the server sends `getver` to IMEI 352093081452251 (a command, never from a device). */
const CODEC14_GETVER = '00000000000000160E01050000000E0352093081452251676574766572010000D2C1';
/** WIKI, "Codec 8 protocol sending over UDP" example, and the acknowledgement it shows. */
const UDP_CODEC8 = `003DCAFE0105000F33353230393330383634303336353508010000016B4F815B3001000000000000000000000000000000
  0103021503010101425DBC000001`;
const UDP_ACK = '0005CAFE010501';

function decode(...frames: Array<string | Buffer>): DeviceMessage[] {
  const session = teltonika.createSession();
  const out = frames.flatMap((frame) => session.push(typeof frame === 'string' ? hex(frame) : frame));
  expect(session.buffered).toBe(0);
  return out;
}

function positions(frame: string | Buffer) {
  const [message, ...rest] = decode(frame);
  expect(rest).toEqual([]);
  if (message?.type !== 'positions') throw new Error(`expected positions, got ${JSON.stringify(message)}`);
  return message;
}

describe('Teltonika checksums', () => {
  it('computes CRC-16/IBM with its standard check value', () => {
    expect(crc16Ibm(Buffer.from('123456789', 'latin1'))).toBe(0xbb3d);
  });
});

describe('Teltonika IMEI handshake', () => {
  it('names the device and offers 01 to accept, 00 to refuse', () => {
    const [login] = decode(HANDSHAKE);
    expect(login).toEqual({
      type: 'login',
      imei: '356307042441013',
      accept: Buffer.from([0x01]),
      refuse: Buffer.from([0x00]),
    });
  });

  it('skips the 0xFF keep-alive byte some devices send first (TRACCAR, TeltonikaFrameDecoderTest)', () => {
    expect(decode('FF000F313233343536373839303132333435')).toMatchObject([{ type: 'login', imei: '123456789012345' }]);
  });

  it('closes on a handshake that holds something else than digits', () => {
    expect(() => decode(`000F${'41'.repeat(15)}`)).toThrow(FrameError);
  });
});

describe('Teltonika Codec 8', () => {
  it('decodes the wiki example with the values of its decoded table', () => {
    const message = positions(CODEC8_ONE);
    expect(message.ack).toEqual(hex('00000001'));
    expect(message.fixes).toEqual([
      {
        ts: new Date('2019-06-10T10:04:46.000Z'),
        lat: 0,
        lon: 0,
        altitude: 0,
        heading: 0,
        speedKmh: 0,
        // 0 satellites at 0,0: the device had no fix.
        valid: false,
        attributes: {
          priority: 1,
          satellites: 0,
          event: 1,
          io21: 3,
          rssi: 3,
          io1: 1,
          io66: 24079,
          power: 24.079,
          io241: 24602,
          io78: 0,
        },
      },
    ]);
    expect(positions(CODEC8_TWO).fixes[0]).toMatchObject({
      ts: new Date('2019-06-10T10:05:36.000Z'),
      attributes: { io66: 0x5e10, power: 24.08 },
    });
  });

  it('decodes every record of a multi-record packet and acknowledges their count', () => {
    const wiki = positions(CODEC8_TWO_RECORDS);
    expect(wiki.ack).toEqual(hex('00000002'));
    expect(wiki.fixes.map((fix) => [fix.ts?.toISOString(), fix.attributes?.['io1']])).toEqual([
      ['2019-06-10T10:01:01.000Z', 0],
      ['2019-06-10T10:01:19.000Z', 1],
    ]);

    const device = positions(CODEC8_THREE_RECORDS);
    expect(device.ack).toEqual(hex('00000003'));
    expect(device.fixes).toHaveLength(3);
    // Longitude 0x280431be, latitude 0x0eded45d (1e-7 degrees), altitude 0x0038, angle 0x012d,
    // 0x10 satellites, speed 0, event IO 0xfa.
    expect(device.fixes[0]).toMatchObject({
      ts: new Date(0x17fcedf4996),
      lat: 24.9484381,
      lon: 67.1363518,
      altitude: 56,
      heading: 301,
      speedKmh: 0,
      valid: true,
      attributes: {
        priority: 0,
        satellites: 16,
        event: 250,
        io69: 1,
        io21: 3,
        rssi: 3,
        io66: 12961,
        power: 12.961,
        io67: 31,
        batteryVoltage: 0.031,
        // 199 is the trip odometer: kept raw, not taken for the total.
        io199: 6,
      },
    });
    expect(device.fixes[0]?.attributes).not.toHaveProperty('odometer');
    expect(device.fixes[2]).toMatchObject({ lat: 24.893493, lon: 67.0457151, speedKmh: 97, heading: 241 });
  });
});

describe('Teltonika Codec 8 Extended', () => {
  it('decodes 2-byte ids and counts and 8-byte values (wiki example)', () => {
    const message = positions(CODEC8E);
    expect(message.ack).toEqual(hex('00000001'));
    expect(message.fixes[0]).toMatchObject({
      ts: new Date('2019-06-10T11:36:32.000Z'),
      attributes: {
        event: 1,
        io1: 1,
        io17: 0x1d,
        io16: 0x015e2c88,
        odometer: 22949000,
        io11: 0x3544c87a,
        io14: 0x1dd7e06a,
      },
    });
  });

  it('keeps variable-length (NX) elements as hex', () => {
    const beacons = positions(CODEC8E_BEACONS);
    expect(beacons.ack).toEqual(hex('00000002'));
    expect(beacons.fixes.map((fix) => fix.attributes?.['io385'])).toEqual([
      '11210102030405060708090a0b0c0d0e0f10020b010ad0',
      '11210102030405060708090a0b0c0d0e0f10020b010ad2',
    ]);
    expect(beacons.fixes[0]).toMatchObject({ lat: 55.365185, lon: 10.2598799, valid: true });

    const [fix] = positions(CODEC8E_VIN).fixes;
    expect(fix?.attributes).toMatchObject({
      ignition: true,
      motion: true,
      power: 14.304,
      batteryVoltage: 3.991,
      odometer: 41397,
      io256: Buffer.from('WV1ZZZ2EZ86015388', 'latin1').toString('hex'),
      io281: Buffer.from('P0299,P0675,P0674,P0672,P0671,P0471,P2BAC', 'latin1').toString('hex'),
    });
  });
});

describe('Teltonika Codec 16', () => {
  it('decodes 2-byte ids and the generation type (wiki example)', () => {
    const message = positions(CODEC16);
    expect(message.ack).toEqual(hex('00000002'));
    expect(message.fixes.map((fix) => fix.ts?.toISOString())).toEqual([
      '2019-07-10T12:06:54.000Z',
      '2019-07-10T12:06:55.000Z',
    ]);
    expect(message.fixes[0]?.attributes).toEqual({
      priority: 0,
      satellites: 0,
      event: 11,
      generationType: 5,
      io1: 0,
      io3: 0,
      io11: 0x27,
      io66: 0x563a,
      power: 22.074,
    });
    expect(message.fixes[1]?.attributes?.['io11']).toBe(0x26);
  });
});

describe('Teltonika packets that are never acknowledged', () => {
  it('refuses a bad CRC', () => {
    const frame = hex(CODEC8_THREE_RECORDS);
    frame[40] ^= 0x01; // one bit of the first record's IO
    const messages = decode(frame);
    expect(messages).toEqual([{ type: 'invalid', reason: expect.stringMatching(/CRC/) }]);
    expect(decode(CODEC16_WRONG_CRC)).toEqual([{ type: 'invalid', reason: expect.stringMatching(/CRC/) }]);
  });

  it('refuses record counts that disagree, even under a correct CRC', () => {
    const data = avlData([{ ts: 1_700_000_000_000, lat: 54.7, lon: 25.3 }]);
    data[data.length - 1] = 2;
    expect(decode(teltonikaFrame(data))).toEqual([{ type: 'invalid', reason: expect.stringMatching(/counts differ/) }]);
  });

  it('refuses records that do not fill the data length, and codecs it does not decode', () => {
    const data = avlData([{ ts: 1_700_000_000_000, lat: 54.7, lon: 25.3 }]);
    const longer = Buffer.concat([data.subarray(0, -1), Buffer.from([0, data[data.length - 1] ?? 1])]);
    expect(decode(teltonikaFrame(longer))).toEqual([{ type: 'invalid', reason: expect.stringMatching(/left after/) }]);
    const shorter = Buffer.concat([data.subarray(0, 20), data.subarray(-1)]);
    expect(decode(teltonikaFrame(shorter))).toEqual([{ type: 'invalid', reason: expect.stringMatching(/runs past/) }]);
    expect(decode(GH3000)).toEqual([{ type: 'invalid', reason: 'unsupported codec (id 7)' }]);
  });

  it('leaves out a record placed off the globe, and acknowledges the packet so the device gets past it', () => {
    const data = avlData([
      { ts: 1_700_000_000_000, lat: 54.7, lon: 25.3 },
      { ts: 1_700_000_030_000, lat: 54.8, lon: 25.4 },
    ]);
    data.writeInt32BE(1_000_000_000, 2 + 8 + 1 + 4); // the first record's latitude: 100°
    const [report, message] = decode(teltonikaFrame(data));
    expect(report).toEqual({ type: 'invalid', reason: 'coordinates out of range in record 0 (100,25.3)' });
    expect(message).toMatchObject({ type: 'positions', fixes: [{ lat: 54.8, lon: 25.4 }], ack: hex('00000002') });
  });
});

describe('Teltonika framing', () => {
  const stream = Buffer.concat(
    [HANDSHAKE, CODEC8_TWO_RECORDS, CODEC8E_BEACONS, CODEC16, CODEC12_RESPONSE, CODEC8_ONE].map(hex),
  );

  it('gives the same messages whatever the chunks the stream arrives in', () => {
    const whole = decode(stream);
    expect(whole.map((message) => message.type)).toEqual([
      'login',
      'positions',
      'positions',
      'positions',
      'commandResult',
      'positions',
    ]);
    // Compared as JSON (dates, buffers and all): a deep equality per cut would take seconds.
    const expected = JSON.stringify(whole);
    for (let cut = 1; cut < stream.length; cut++) {
      const split = JSON.stringify(decode(stream.subarray(0, cut), stream.subarray(cut)));
      if (split !== expected) expect({ cut, messages: JSON.parse(split) }).toEqual({ cut, messages: whole });
    }
    const session = teltonika.createSession();
    const oneByOne: DeviceMessage[] = [];
    for (let i = 0; i < stream.length; i++) {
      oneByOne.push(...session.push(stream.subarray(i, i + 1)));
      expect(session.buffered).toBeLessThan(teltonika.maxFrameBytes);
    }
    expect(oneByOne).toEqual(whole);
  });

  it('closes on a preamble that is not four zero bytes', () => {
    const session = teltonika.createSession();
    expect(() => session.push(hex('0000000100000036'))).toThrow(
      expect.objectContaining({ name: 'FrameError', reason: 'garbage' }),
    );
    expect(() => teltonika.createSession().push(hex('0001'))).not.toThrow();
    expect(() => teltonika.createSession().push(hex('1234'))).toThrow(FrameError);
  });

  it('closes on a data length above the limit before buffering it', () => {
    const session = teltonika.createSession();
    const header = Buffer.alloc(8);
    header.writeUInt32BE(teltonika.maxFrameBytes, 4);
    expect(() => session.push(header)).toThrow(expect.objectContaining({ reason: 'too_large' }));
    expect(session.buffered).toBe(0);
  });

  it('holds at most an incomplete frame', () => {
    const session = teltonika.createSession();
    const frame = hex(CODEC8_THREE_RECORDS);
    expect(session.push(Buffer.concat([frame, frame.subarray(0, 100)]))).toHaveLength(1);
    expect(session.buffered).toBe(100);
    expect(session.push(frame.subarray(100))).toHaveLength(1);
    expect(session.buffered).toBe(0);
  });
});

describe('Teltonika Codec 12 commands', () => {
  it('frames a text command exactly as the wiki example', () => {
    expect(teltonika.encodeCommand('356307042441013', 'getinfo', 1)).toEqual(hex(CODEC12_GETINFO));
  });

  it("decodes the device's answer as a command result", () => {
    expect(decode(CODEC12_RESPONSE)).toEqual([
      {
        type: 'commandResult',
        text: 'INI:2019/7/22 7:22 RTC:2019/7/22 7:53 RST:2 ERR:1 SR:0 BR:0 CF:0 FG:0 FL:0 TU:0/0 UT:0 SMS:0 NOGPS:0:30 GPS:1 SAT:0 RS:3 RF:65 SF:1 MD:0',
      },
    ]);
  });

  it('refuses to frame an empty or non-ASCII command', () => {
    expect(() => teltonika.encodeCommand('1', '', 1)).toThrow(RangeError);
    expect(() => teltonika.encodeCommand('1', 'setparam ü', 1)).toThrow(RangeError);
  });

  it('decodes a Codec 14 answer with its IMEI and refuses a command coming from a device', () => {
    // The wiki's Codec 14 answer text, framed here: its published answer frames carry lengths and CRCs
    // that do not match their bytes.
    const imei = hex('0352093081452251');
    const text = 'Ver:03.18.14_04 GPS:AXN_5.10_3333 Hw:FMB120 Mod:15 IMEI:352093081452251';
    const answer = teltonikaFrame(codec12Data(0x06, Buffer.concat([imei, Buffer.from(text, 'latin1')]), 0x0e));
    expect(decode(answer)).toEqual([{ type: 'commandResult', text, imei: '352093081452251' }]);
    expect(decode(CODEC14_GETVER)).toEqual([{ type: 'invalid', reason: 'codec 14 message of type 5 from a device' }]);
    const nack = teltonikaFrame(codec12Data(0x11, imei, 0x0e));
    expect(decode(nack)).toEqual([{ type: 'invalid', reason: expect.stringMatching(/IMEI/) }]);
  });
});

describe('Teltonika over UDP', () => {
  it('decodes the wiki datagram and answers with its acknowledgement', () => {
    const message = decodeTeltonikaDatagram(hex(UDP_CODEC8));
    expect(message).toMatchObject({
      type: 'positions',
      imei: '352093086403655',
      ack: hex(UDP_ACK),
      fixes: [{ ts: new Date('2019-06-13T06:23:26.000Z'), attributes: { io66: 0x5dbc, power: 23.996 } }],
    });
  });

  it('answers nothing to a datagram that is cut short or lies about its length', () => {
    const datagram = hex(UDP_CODEC8);
    expect(decodeTeltonikaDatagram(datagram.subarray(0, 30))).toMatchObject({ type: 'invalid' });
    const cut = Buffer.from(datagram.subarray(0, -3));
    cut.writeUInt16BE(cut.length - 2);
    expect(decodeTeltonikaDatagram(cut)).toMatchObject({ type: 'invalid' });
  });
});

describe('the simulated Teltonika device against the decoder', () => {
  const ts = new Date('2026-12-01T08:30:00.000Z');
  const records: TeltonikaRecord[] = [
    {
      ts,
      lat: 54.687157,
      lon: 25.279652,
      speed: 52,
      heading: 181,
      altitude: 112,
      satellites: 11,
      io: { 239: 1, 240: 1, 66: { bytes: 2, value: 12_650 }, 113: 87, 16: 123_456_789, 21: 4, 182: 9 },
    },
    { ts: ts.getTime() + 30_000, lat: -33.8688, lon: -151.2093, satellites: 0, priority: 2, io: { 78: 2n ** 60n } },
  ];

  it('round-trips handshake, Codec 8 and 8E packets, acknowledgements and a command', () => {
    const device = new TeltonikaDevice('356307042441013');
    const session = teltonika.createSession();
    const [login] = session.push(device.handshake());
    expect(login).toMatchObject({ type: 'login', imei: '356307042441013' });
    if (login?.type !== 'login' || !login.accept) throw new Error('no login');
    expect(device.receive(login.accept)).toEqual([{ type: 'handshake', accepted: true }]);

    for (const codec of ['codec8', 'codec8e'] as const) {
      const [message] = session.push(device.packet(records, codec));
      if (message?.type !== 'positions' || !message.ack) throw new Error('no positions');
      expect(message.fixes[0]).toEqual({
        ts,
        lat: 54.687157,
        lon: 25.279652,
        speedKmh: 52,
        heading: 181,
        altitude: 112,
        valid: true,
        battery: 87,
        attributes: {
          priority: 0,
          satellites: 11,
          io239: 1,
          ignition: true,
          io240: 1,
          motion: true,
          io66: 12_650,
          power: 12.65,
          io113: 87,
          io16: 123_456_789,
          odometer: 123_456_789,
          io21: 4,
          rssi: 4,
          io182: 9,
          hdop: 0.9,
        },
      });
      expect(message.fixes[1]).toMatchObject({
        lat: -33.8688,
        lon: -151.2093,
        valid: false,
        attributes: { alarm: 'sos', io78: '1152921504606846976' },
      });
      expect(device.receive(message.ack)).toEqual([{ type: 'ack', count: 2 }]);
    }

    const command = teltonika.encodeCommand(device.imei, 'setdigout 1', 7);
    expect(device.receive(Buffer.concat([command.subarray(0, 5)]))).toEqual([]);
    expect(device.receive(Buffer.concat([command.subarray(5), hex('00000001')]))).toEqual([
      { type: 'command', text: 'setdigout 1' },
      { type: 'ack', count: 1 },
    ]);
    expect(session.push(device.commandResponse('DOUT1:1 Timeout:INFINITY'))).toEqual([
      { type: 'commandResult', text: 'DOUT1:1 Timeout:INFINITY' },
    ]);
  });

  it('reads a refused handshake and builds the datagram the decoder answers', () => {
    const device = new TeltonikaDevice('352093086403655', 'codec8e');
    device.handshake();
    expect(device.receive(Buffer.from([0x00]))).toEqual([{ type: 'handshake', accepted: false }]);
    const message = decodeTeltonikaDatagram(device.datagram(records, { packetId: 0xcafe, avlPacketId: 9 }));
    expect(message).toMatchObject({ type: 'positions', imei: '352093086403655', ack: hex('0005CAFE010902') });
  });

  it('frames the same bytes as the wiki for a record like its Codec 8 example', () => {
    // WIKI Codec 8 example 1, rebuilt from its decoded table.
    const rebuilt = new TeltonikaDevice('1').packet([
      {
        ts: 0x16b40d8ea30,
        priority: 1,
        lat: 0,
        lon: 0,
        satellites: 0,
        eventId: 1,
        io: [
          [21, 3],
          [1, 1],
          [66, 0x5e0f],
          [241, { bytes: 4, value: 0x601a }],
          [78, { bytes: 8, value: 0 }],
        ],
      },
    ]);
    expect(rebuilt).toEqual(hex(CODEC8_ONE));
  });
});

describe('Teltonika driver identification', () => {
  const ts = new Date('2026-12-07T07:00:00.000Z');
  const record = (io: TeltonikaRecord['io']): TeltonikaRecord => ({ ts, lat: 40.4168, lon: -3.7038, io });
  const fixOf = (records: TeltonikaRecord[], codec: 'codec8' | 'codec8e' = 'codec8') =>
    positions(new TeltonikaDevice('356307042441013').packet(records, codec)).fixes;

  it('reads an iButton key (IO 78, little-endian ROM code) as driverUniqueId the way Traccar writes it', () => {
    // ROM code on the wire 2D EF CD AB 00 00 00 01: family code 0x01 last, as Traccar's %016X of readLongLE.
    for (const codec of ['codec8', 'codec8e'] as const) {
      const [fix] = fixOf([record({ 78: { bytes: 8, value: 0x2defcdab00000001n } })], codec);
      expect(fix.attributes).toMatchObject({
        io78: 0x2defcdab00000001n.toString(),
        driverUniqueId: '01000000ABCDEF2D',
      });
    }
    // A value that fits a JavaScript number is the same key.
    const [small] = fixOf([record({ 78: { bytes: 8, value: 0x0102 } })]);
    expect(small.attributes).toMatchObject({ io78: 0x0102, driverUniqueId: '0201000000000000' });
  });

  it('reads an RFID card (IO 207) as driverUniqueId, its 16 hex digits', () => {
    const [fix] = fixOf([record({ 207: { bytes: 8, value: 0xab12cd34n } })]);
    expect(fix.attributes).toMatchObject({ io207: 0xab12cd34, driverUniqueId: '00000000AB12CD34' });
  });

  it('sets no driverUniqueId without a key or card (0) and keeps the raw element', () => {
    const [fix] = fixOf([record({ 78: { bytes: 8, value: 0 }, 207: { bytes: 8, value: 0 } })]);
    expect(fix.attributes).toMatchObject({ io78: 0, io207: 0 });
    expect(fix.attributes).not.toHaveProperty('driverUniqueId');
  });
});
