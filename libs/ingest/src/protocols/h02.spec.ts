import { createH02Protocol, h02, h02Coordinate } from './h02';
import { FrameError, type DeviceMessage } from './tcp';
import { H02Device, parseH02Answers } from './testing/h02-device';

// Sentences below are taken from Traccar's H02ProtocolDecoderTest (traccar/traccar,
// src/test/java/org/traccar/protocol/H02ProtocolDecoderTest.java); the expected values are computed
// from the sentence (ddmm.mmmm → degrees) and, where that test states them, equal to its position(...).

const NOW = new Date('2024-03-05T06:07:08Z');
const protocol = createH02Protocol({ now: () => NOW });
const decode = (text: string) => protocol.createSession().push(Buffer.from(text, 'latin1'));
const only = (messages: DeviceMessage[]) => {
  expect(messages).toHaveLength(1);
  return messages[0];
};
const positionsOf = (message: DeviceMessage) => {
  if (message.type !== 'positions') throw new Error(`expected positions, got ${message.type}`);
  expect(message.fixes).toHaveLength(1);
  return { ...message, fix: message.fixes[0] };
};

describe('h02', () => {
  it("declares Traccar's port and its environment variable", () => {
    expect(h02).toMatchObject({ name: 'h02', portEnv: 'H02_PORT', defaultPort: 5013 });
  });

  it('decodes a northern/eastern V1 fix, its time in UTC, speed from knots, and answers it once stored', () => {
    // Traccar test: "*HQ,4300256455,V1,111817,A,1935.5128,N,04656.3243,E,0.00,100,170913,FFE7FBFF#"
    const m = positionsOf(
      only(decode('*HQ,4300256455,V1,111817,A,1935.5128,N,04656.3243,E,0.00,100,170913,FFE7FBFF#')),
    );
    expect(m.imei).toBe('4300256455');
    expect(m.fix.ts).toEqual(new Date('2013-09-17T11:18:17Z'));
    expect(m.fix.lat).toBeCloseTo(19 + 35.5128 / 60, 9);
    expect(m.fix.lon).toBeCloseTo(46 + 56.3243 / 60, 9);
    expect(m.fix.valid).toBe(true);
    expect(m.fix.speedKmh).toBe(0);
    expect(m.fix.heading).toBe(100);
    // FFE7FBFF: bit 19 clear → powerCut (active-low), bit 10 clear → ignition off
    expect(m.fix.attributes).toMatchObject({ alarm: 'powerCut', ignition: false, status: 0xffe7fbff });
    expect(m.ack?.toString()).toBe('*HQ,4300256455,V4,V1,20240305060708#');
  });

  it("decodes a northern/western fix to Traccar's expected position", () => {
    // Traccar test: position("2015-12-22 16:45:49.000", true, 9.93978, -84.11178)
    const m = positionsOf(
      only(decode('*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF,712,01,0,0,6#')),
    );
    expect(m.fix.ts).toEqual(new Date('2015-12-22T16:45:49Z'));
    expect(m.fix.lat).toBeCloseTo(9.93978, 5);
    expect(m.fix.lon).toBeCloseTo(-84.11178, 5);
    expect(m.fix.attributes).toEqual({ ignition: false, status: 0xfffffbff });
  });

  it('makes southern and western hemispheres negative (-dd-mm.mmmm form)', () => {
    // Traccar test: position("2015-03-07 03:01:49.000", true, -23.48349, -46.85975)
    const m = positionsOf(
      only(decode('*HQ,1451316409,V1,030149,A,-23-29.0095,S,-46-51.5852,W,2.4,065,070315,FFFFFFFF#')),
    );
    expect(m.fix.ts).toEqual(new Date('2015-03-07T03:01:49Z'));
    expect(m.fix.lat).toBeCloseTo(-(23 + 29.0095 / 60), 9);
    expect(m.fix.lon).toBeCloseTo(-(46 + 51.5852 / 60), 9);
    expect(m.fix.lat).toBeCloseTo(-23.48349, 5);
    expect(m.fix.lon).toBeCloseTo(-46.85975, 5);
    expect(m.fix.speedKmh).toBeCloseTo(2.4 * 1.852, 9);
    expect(m.fix.heading).toBe(65);
    expect(m.fix.attributes).toEqual({ ignition: true, status: 0xffffffff });
  });

  it('makes southern and western hemispheres negative (dddmm.mmmm form)', () => {
    // Traccar test: "*HQ,353588010001689,V1,221116,A,1548.8220,S,4753.1679,W,0.00,0.00,300413,ffffffff,…#"
    const m = positionsOf(
      only(
        decode(
          '*HQ,353588010001689,V1,221116,A,1548.8220,S,4753.1679,W,0.00,0.00,300413,ffffffff,0002d4,000004,0001cd,000047#',
        ),
      ),
    );
    expect(m.fix.ts).toEqual(new Date('2013-04-30T22:11:16Z'));
    expect(m.fix.lat).toBeCloseTo(-(15 + 48.822 / 60), 9);
    expect(m.fix.lon).toBeCloseTo(-(47 + 53.1679 / 60), 9);
  });

  it('keeps a V (no fix) frame as a fix the device does not vouch for', () => {
    // Traccar test: "*HQ,3800008786,V1,062507,V,3048.2437,N,03058.5617,E,000.00,000,250413,FFFFFBFF#"
    const m = positionsOf(
      only(decode('*HQ,3800008786,V1,062507,V,3048.2437,N,03058.5617,E,000.00,000,250413,FFFFFBFF#')),
    );
    expect(m.fix.valid).toBe(false);
    expect(m.fix.lat).toBeCloseTo(30 + 48.2437 / 60, 9);
    expect(m.fix.ts).toEqual(new Date('2013-04-25T06:25:07Z'));
  });

  it('reads an empty validity as not valid (Traccar: position(…, false, 28.46021, 77.06414))', () => {
    const m = positionsOf(
      only(decode('*HQ,355488020119695,V1,050418,,2827.61232,N,07703.84822,E,0.00,0,031015,FFFEFBFF#')),
    );
    expect(m.fix).toMatchObject({ ts: new Date('2015-10-03T05:04:18Z'), valid: false });
    expect(m.fix.lat).toBeCloseTo(28.46021, 5);
    expect(m.fix.lon).toBeCloseTo(77.06414, 5);
  });

  it('decodes the V19 no-fix variant with SIM fields before the status, southern/western', () => {
    // Traccar test: "*HQ,4109179024,V19,181519,V,3853.2587,S,06205.9175,W,000.00,000,090217,,5492932630888,…,FFFFFBFF#"
    const m = positionsOf(
      only(
        decode(
          '*HQ,4109179024,V19,181519,V,3853.2587,S,06205.9175,W,000.00,000,090217,,5492932630888,8954315265044716555?,FFFFFBFF#',
        ),
      ),
    );
    expect(m.fix).toMatchObject({ ts: new Date('2017-02-09T18:15:19Z'), valid: false });
    expect(m.fix.lat).toBeCloseTo(-(38 + 53.2587 / 60), 9);
    expect(m.fix.lon).toBeCloseTo(-(62 + 5.9175 / 60), 9);
    expect(m.fix.attributes).toMatchObject({ status: 0xfffffbff });
    expect(m.ack).toBeUndefined(); // Traccar answers V1 only
  });

  it('skips a battery level between course and date', () => {
    // Traccar test: "*HQ,4210209006,V1,054048,A,2828.2297,N,07733.4332,E,000.5,047,4,080918,EEE7FBDF,4261193,0#"
    const m = positionsOf(
      only(decode('*HQ,4210209006,V1,054048,A,2828.2297,N,07733.4332,E,000.5,047,4,080918,EEE7FBDF,4261193,0#')),
    );
    expect(m.fix.ts).toEqual(new Date('2018-09-08T05:40:48Z'));
    expect(m.fix.attributes).toMatchObject({ alarm: 'powerCut', status: 0xeee7fbdf });
  });

  it('turns a V1 frame without time or coordinates into an answered heartbeat, never a fix', () => {
    // Traccar tests: "*HQ,353505221264507,V1,,V,4605.75732,N,…,0.00,0,,FFFFFFEF,…#" (no time, no date) and
    // "*HQ,353588020068342,V1,000000,V,0.0000,0,0.0000,0,…#" (no coordinates)
    const noTime = only(
      decode('*HQ,353505221264507,V1,,V,4605.75732,N,01430.73863,E,0.00,0,,FFFFFFEF,125,194,  64,d3#'),
    );
    expect(noTime).toMatchObject({ type: 'heartbeat', imei: '353505221264507' });
    expect(noTime.type === 'heartbeat' && noTime.reply?.toString()).toBe('*HQ,353505221264507,V4,V1,20240305060708#');
    const noFix = only(
      decode(
        '*HQ,353588020068342,V1,000000,V,0.0000,0,0.0000,0,0.00,0.00,000000,ffffffff,000106,000002,000203,004c87,16#',
      ),
    );
    expect(noFix).toMatchObject({ type: 'heartbeat', imei: '353588020068342' });
  });

  it('decodes heartbeats: XT unanswered, HTBT echoed at once, LINK with its signal and battery', () => {
    // Traccar tests: "*HQ,356327080425330,XT,1,100#", "*HQ,1700086468,LINK,180902,15,0,84,0,0,240517,FFFFFBFF#";
    // HTBT as H02ProtocolDecoder answers it (the sentence up to the type, then '#')
    expect(only(decode('*HQ,356327080425330,XT,1,100#'))).toEqual({
      type: 'heartbeat',
      imei: '356327080425330',
      attributes: {},
    });
    const htbt = only(decode('*HQ,356327080425330,HTBT,87#'));
    expect(htbt).toMatchObject({ type: 'heartbeat', imei: '356327080425330', attributes: { battery: 87 } });
    expect(htbt.type === 'heartbeat' && htbt.reply?.toString()).toBe('*HQ,356327080425330,HTBT#');
    expect(only(decode('*HQ,1700086468,LINK,180902,15,0,84,0,0,240517,FFFFFBFF#'))).toEqual({
      type: 'heartbeat',
      imei: '1700086468',
      attributes: { rssi: 15, satellites: 0, battery: 84, steps: 0, ignition: false, status: 0xfffffbff },
    });
  });

  it('answers an NBR (cell towers only) frame at once, as a heartbeat', () => {
    // Traccar test: "*HQ,4109179024,NBR,103732,722,310,0,6,8106,32010,23,…,100217,FFFFFBFF,5#"
    const nbr = only(
      decode(
        '*HQ,4109179024,NBR,103732,722,310,0,6,8106,32010,23,8101,22007,25,8106,12010,23,8106,22105,22,8101,22012,16,8106,42010,5,100217,FFFFFBFF,5#',
      ),
    );
    expect(nbr).toMatchObject({ type: 'heartbeat', imei: '4109179024', attributes: { status: 0xfffffbff } });
    expect(nbr.type === 'heartbeat' && nbr.reply?.toString()).toBe('*HQ,4109179024,V4,NBR,20240305060708#');
  });

  it('reports a V4 command answer as commandResult, and keeps the position it carries', () => {
    // Traccar test: "*TH,2020916012,V4,S20,DONE,130305,050316,A,2212.8745,N,11346.6574,E,14.28,028,220902,F7FFFBFF#"
    const [result, positions] = decode(
      '*TH,2020916012,V4,S20,DONE,130305,050316,A,2212.8745,N,11346.6574,E,14.28,028,220902,F7FFFBFF#',
    );
    expect(result).toEqual({ type: 'commandResult', text: 'S20,DONE,130305', imei: '2020916012' });
    const m = positionsOf(positions);
    expect(m.fix.ts).toEqual(new Date('2002-09-22T05:03:16Z'));
    expect(m.fix.lat).toBeCloseTo(22 + 12.8745 / 60, 9);
    expect(m.fix.lon).toBeCloseTo(113 + 46.6574 / 60, 9);
    expect(m.fix.speedKmh).toBeCloseTo(14.28 * 1.852, 9);
    expect(m.ack).toBeUndefined();
  });

  it('decodes a frame without a device id, with nothing to answer', () => {
    // Traccar test: "*HQ,,V1,173212,A,2225.78879,S,02829.19021,E,0.00,0,290418,FFFFFBFF#"
    const m = positionsOf(only(decode('*HQ,,V1,173212,A,2225.78879,S,02829.19021,E,0.00,0,290418,FFFFFBFF#')));
    expect(m.imei).toBeUndefined();
    expect(m.ack).toBeUndefined();
    expect(m.fix.lat).toBeCloseTo(-(22 + 25.78879 / 60), 9);
  });

  it('refuses coordinates that are not coordinates', () => {
    expect(h02Coordinate('9160.0000', 'N', 'lat')).toBeUndefined(); // 60 minutes
    expect(h02Coordinate('9100.0000', 'N', 'lat')).toBeUndefined(); // beyond 90
    expect(h02Coordinate('18100.0000', 'E', 'lon')).toBeUndefined();
    expect(h02Coordinate('4605.75732', 'X', 'lat')).toBeUndefined();
    expect(h02Coordinate('4605.75732', 'N', 'lat')).toBeCloseTo(46 + 5.75732 / 60, 9);
    const bad = only(decode('*HQ,123456789012345,V1,155850,A,9999.9999,N,2117.4683,E,0.00,270.90,131012,ffffffff#'));
    expect(bad.type).toBe('heartbeat');
  });

  it('marks sentences that are not H02 invalid', () => {
    expect(only(decode('*HQ,12ab,V1,#'))).toEqual({ type: 'invalid', reason: 'bad device id' });
    // Traccar test "*HQ,4109198974,#": no type
    expect(only(decode('*HQ,4109198974,#'))).toEqual({ type: 'invalid', reason: 'malformed sentence' });
  });

  const stream = [
    'noise\r\n',
    '*HQ,4300256455,V1,111817,A,1935.5128,N,04656.3243,E,0.00,100,170913,FFE7FBFF#\r\n',
    '*HQ,356327080425330,XT,1,100#',
    '*HQ,1451316409,V1,030149,A,-23-29.0095,S,-46-51.5852,W,2.4,065,070315,FFFFFFFF#\r\n',
    '*TH,2020916012,V4,S20,DONE,130305,050316,A,2212.8745,N,11346.6574,E,14.28,028,220902,F7FFFBFF#',
  ].join('');

  it('gives the same messages whatever byte boundary a frame is split at', () => {
    const bytes = Buffer.from(stream, 'latin1');
    const whole = protocol.createSession().push(bytes);
    expect(whole.map((m) => m.type)).toEqual(['positions', 'heartbeat', 'positions', 'commandResult', 'positions']);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const session = protocol.createSession();
      const messages = [...session.push(bytes.subarray(0, cut)), ...session.push(bytes.subarray(cut))];
      expect(messages).toEqual(whole);
      expect(session.buffered).toBe(0);
    }
    const session = protocol.createSession();
    const oneByOne = [...bytes].flatMap((byte) => session.push(Buffer.from([byte])));
    expect(oneByOne).toEqual(whole);
  });

  it('buffers an unfinished sentence and restarts at a new * when the device gives one up', () => {
    const session = protocol.createSession();
    expect(session.push(Buffer.from('*HQ,4300256455,V1,1118'))).toEqual([]);
    expect(session.buffered).toBe(22);
    const messages = session.push(Buffer.from('*HQ,356327080425330,XT,1,100#'));
    expect(messages).toEqual([{ type: 'heartbeat', imei: '356327080425330', attributes: {} }]);
  });

  it('throws FrameError(too_large) for a sentence longer than maxFrameBytes, and drops noise', () => {
    const session = protocol.createSession();
    expect(session.push(Buffer.alloc(5000, 'x'))).toEqual([]);
    expect(session.buffered).toBe(0);
    session.push(Buffer.from('*HQ,1,V1,'));
    let error: unknown;
    try {
      session.push(Buffer.alloc(h02.maxFrameBytes, '1'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FrameError);
    expect((error as FrameError).reason).toBe('too_large');
  });

  it("encodes commands in H02ProtocolEncoder's form: the time after the command name", () => {
    expect(protocol.encodeCommand('4210209006', 'S20,1,1', 1).toString()).toBe('*HQ,4210209006,S20,060708,1,1#');
    expect(protocol.encodeCommand('4210209006', 'R1', 2).toString()).toBe('*HQ,4210209006,R1,060708#');
    expect(() => protocol.encodeCommand('4210209006', 'S20#', 3)).toThrow(/without/);
    expect(() => protocol.encodeCommand('42102x', 'S20', 3)).toThrow(/digits/);
  });

  describe('with a simulated device', () => {
    const device = new H02Device('353505221264507');

    it('round-trips positions in all four hemispheres and reads the answers', () => {
      const records = [
        {
          ts: new Date('2024-01-02T03:04:05Z'),
          lat: 52.520008,
          lon: 13.404954,
          speedKmh: 50,
          heading: 90,
          ignition: true,
        },
        { ts: new Date('2024-01-02T03:04:35Z'), lat: -33.86882, lon: 151.20929, speedKmh: 0, heading: 0 },
        { ts: new Date('2024-12-31T23:59:59Z'), lat: -22.906847, lon: -43.172897, speedKmh: 120.5, heading: 359 },
        { ts: new Date('2024-02-29T12:00:00Z'), lat: 40.712776, lon: -74.005974, valid: false, alarm: 'sos' as const },
      ];
      const session = protocol.createSession();
      const messages = session.push(Buffer.concat(records.map((r) => device.position(r))));
      expect(messages).toHaveLength(records.length);
      messages.forEach((message, i) => {
        const { fix, imei, ack } = positionsOf(message);
        const record = records[i];
        expect(imei).toBe(device.imei);
        expect(fix.ts).toEqual(record.ts);
        expect(fix.lat).toBeCloseTo(record.lat, 6);
        expect(fix.lon).toBeCloseTo(record.lon, 6);
        expect(fix.speedKmh).toBeCloseTo(record.speedKmh ?? 0, 1);
        expect(fix.heading).toBe(record.heading ?? 0);
        expect(fix.valid).toBe(record.valid !== false);
        expect(fix.attributes).toMatchObject({ ignition: record.ignition === true });
        expect((fix.attributes as { alarm?: string }).alarm).toBe(record.alarm);
        expect(parseH02Answers(ack as Buffer)).toEqual([
          {
            imei: device.imei,
            type: 'V4',
            fields: ['HQ', device.imei, 'V4', 'V1', '20240305060708'],
            text: '*HQ,353505221264507,V4,V1,20240305060708#',
          },
        ]);
      });
    });

    it('round-trips heartbeats and a command answer', () => {
      const session = protocol.createSession();
      const [htbt, xt] = session.push(Buffer.concat([device.heartbeat('HTBT', 55), device.heartbeat('XT')]));
      expect(htbt.type === 'heartbeat' && parseH02Answers(htbt.reply as Buffer)[0].type).toBe('HTBT');
      expect(xt).toEqual({ type: 'heartbeat', imei: device.imei, attributes: {} });
      const record = { ts: new Date('2024-01-02T03:04:05Z'), lat: 1.5, lon: 2.5 };
      const [result, position] = session.push(device.commandAnswer('S20,DONE', '060708', record));
      expect(result).toEqual({ type: 'commandResult', text: 'S20,DONE,060708', imei: device.imei });
      expect(positionsOf(position).fix.lat).toBeCloseTo(1.5, 6);
    });
  });
});
