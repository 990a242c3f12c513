import { createH02Protocol, decodeH02Binary, h02, H02_BINARY_MAX_BYTES, h02Coordinate } from './h02';
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

  describe('binary frames ($ + BCD)', () => {
    // Frames from Traccar's H02ProtocolDecoderTest and H02FrameDecoderTest (traccar/traccar,
    // src/test/java/org/traccar/protocol/), as hex. Expected values are read from the BCD digits by hand
    // (ddmm.mmmm → degrees, speed in knots) and, where Traccar's test states a position, equal to it.
    const bin = (text: string) => Buffer.from(text, 'hex');
    /** 32 bytes, 10-digit id; the same device's text frame 9 s later is in TEXT_AFTER_BIN_32. */
    const BIN_32 = '2441060116601245431311165035313006004318210e000000fffffbffff0024';
    const TEXT_AFTER_BIN_32 = '*HQ,4106011660,V1,124552,A,5035.3129,N,00431.8211,E,000.20,000,131116,FFFFFBFF#';
    /** 45 bytes: position("2015-08-31 21:53:21.000", true, 4.69898, -74.06971). */
    const BIN_45_NW = '24410600082621532131081504419390060740418306000000fffffbfdff0015060000002c02dc0c000000001f';
    /** 32 bytes, southern/western, course 56. */
    const BIN_32_SW = '24270517030820321418041423307879000463213792000056fffff9ffff0000';
    /** 32 bytes, no GPS fix (flags C: north, east, bit 1 clear), 14 knots, course 28. */
    const BIN_32_NO_FIX = '2410307310010503162209022212874500113466574C014028fffffbffff0000';
    /** 42 bytes, the 15-digit IMEI in 8 bytes (Traccar reads a 42-byte frame so). */
    const BIN_42_IMEI = '2435248308419329301047591808172627335900074412294E024138FEFFFFFFFF01120064BA73005ECC';
    /** 46 and 48 bytes: longer variants, same first 29 bytes. */
    const BIN_46 = '2421305109380127171003170520046500100286297e003085ffffdfffff03440069129344006400001151415a20';
    const BIN_48 = '24971305007205201916101533335008000073206976000000effffbffff000252776566060000000000000000000049';
    /** H02FrameDecoderTest's "alternative" frame: `X` instead of `$` (Traccar decodes nothing from it). */
    const X_FRAME = '5800009814991024031101175540227006012321670c000095fffffbffff0033';
    const decodeBin = (text: string) => protocol.createSession().push(bin(text));

    it("decodes a 32-byte frame: id, UTC time, position, battery, status, and sends no answer (Traccar's none)", () => {
      const m = positionsOf(only(decodeBin(BIN_32)));
      expect(m.imei).toBe('4106011660');
      expect(m.ack).toBeUndefined();
      expect(m.fix.ts).toEqual(new Date('2016-11-13T12:45:43Z'));
      expect(m.fix.lat).toBeCloseTo(50 + 35.313 / 60, 9);
      expect(m.fix.lon).toBeCloseTo(4 + 31.821 / 60, 9);
      expect(m.fix.valid).toBe(true);
      expect(m.fix.speedKmh).toBe(0);
      expect(m.fix.heading).toBe(0);
      expect(m.fix.battery).toBe(100); // level 6
      expect(m.fix.attributes).toEqual({ ignition: false, status: 0xfffffbff });
      // the text frame the device sent 9 s later is at the same place
      const text = positionsOf(only(decode(TEXT_AFTER_BIN_32))).fix;
      expect(text.lat).toBeCloseTo(m.fix.lat, 4);
      expect(text.lon).toBeCloseTo(m.fix.lon, 4);
    });

    it("decodes a 45-byte frame to Traccar's expected position (north, west) and the sos status bit", () => {
      const m = positionsOf(only(decodeBin(BIN_45_NW)));
      expect(m.imei).toBe('4106000826');
      expect(m.fix.ts).toEqual(new Date('2015-08-31T21:53:21Z'));
      expect(m.fix.lat).toBeCloseTo(4.69898, 5);
      expect(m.fix.lon).toBeCloseTo(-74.06971, 4);
      expect(m.fix.lat).toBeCloseTo(4 + 41.939 / 60, 9);
      expect(m.fix.lon).toBeCloseTo(-(74 + 4.183 / 60), 9);
      expect(m.fix.valid).toBe(true);
      // FFFFFBFD: bit 1 clear → sos (active-low), bit 10 clear → ignition off
      expect(m.fix.attributes).toEqual({ alarm: 'sos', ignition: false, status: 0xfffffbfd });
    });

    it('makes southern and western hemispheres negative, and reads the course', () => {
      const m = positionsOf(only(decodeBin(BIN_32_SW)));
      expect(m.fix.ts).toEqual(new Date('2014-04-18T20:32:14Z'));
      expect(m.fix.lat).toBeCloseTo(-(23 + 30.7879 / 60), 9);
      expect(m.fix.lon).toBeCloseTo(-(46 + 32.1379 / 60), 9);
      expect(m.fix.heading).toBe(56);
      expect(m.fix.battery).toBeUndefined(); // battery byte 0: none
    });

    it('keeps a frame without a GPS fix as a fix the device does not vouch for, speed from knots', () => {
      const m = positionsOf(only(decodeBin(BIN_32_NO_FIX)));
      expect(m.imei).toBe('1030731001');
      expect(m.fix.valid).toBe(false);
      expect(m.fix.ts).toEqual(new Date('2002-09-22T05:03:16Z'));
      expect(m.fix.lat).toBeCloseTo(22 + 12.8745 / 60, 9);
      expect(m.fix.lon).toBeCloseTo(113 + 46.6574 / 60, 9);
      expect(m.fix.speedKmh).toBeCloseTo(14 * 1.852, 9);
      expect(m.fix.heading).toBe(28);
    });

    it('reads the 8-byte IMEI of a 42-byte frame, and the 46- and 48-byte variants', () => {
      const imei = positionsOf(only(decodeBin(BIN_42_IMEI)));
      expect(imei.imei).toBe('352483084193293');
      expect(imei.fix.ts).toEqual(new Date('2017-08-18T10:47:59Z'));
      expect(imei.fix.lat).toBeCloseTo(26 + 27.3359 / 60, 9);
      expect(imei.fix.lon).toBeCloseTo(74 + 41.2294 / 60, 9);
      expect(imei.fix.speedKmh).toBeCloseTo(24 * 1.852, 9);
      expect(imei.fix.heading).toBe(138);
      // FEFFFFFF: bit 24 clear, which Traccar gives no meaning; ignition on
      expect(imei.fix.attributes).toEqual({ ignition: true, status: 0xfeffffff });
      const long46 = positionsOf(only(decodeBin(BIN_46)));
      expect(long46.imei).toBe('2130510938');
      expect(long46.fix.ts).toEqual(new Date('2017-03-10T01:27:17Z'));
      expect(long46.fix.lat).toBeCloseTo(5 + 20.0465 / 60, 9);
      expect(long46.fix.lon).toBeCloseTo(100 + 28.6297 / 60, 9);
      expect(long46.fix.speedKmh).toBeCloseTo(3 * 1.852, 9);
      expect(long46.fix.heading).toBe(85);
      const long48 = positionsOf(only(decodeBin(BIN_48)));
      expect(long48.imei).toBe('9713050072');
      expect(long48.fix.ts).toEqual(new Date('2015-10-16T05:20:19Z'));
      expect(long48.fix.lat).toBeCloseTo(33 + 33.5008 / 60, 9);
      expect(long48.fix.lon).toBeCloseTo(-(7 + 32.0697 / 60), 9);
    });

    it("splits binary and text frames sent back to back (H02FrameDecoderTest's stream), at any byte boundary", () => {
      const stream = Buffer.concat([
        bin(BIN_32),
        Buffer.from(TEXT_AFTER_BIN_32, 'latin1'),
        bin(BIN_45_NW.replace('4106000826', '4106011660')), // the 45-byte layout from the same device
        bin(BIN_32),
        Buffer.from('\r\n'),
        bin(BIN_32),
      ]);
      const whole = protocol.createSession().push(stream);
      expect(whole.map((m) => m.type)).toEqual(['positions', 'positions', 'positions', 'positions', 'positions']);
      expect(whole.map((m) => (m.type === 'positions' ? m.fixes[0].ts?.toISOString() : ''))).toEqual([
        '2016-11-13T12:45:43.000Z',
        '2016-11-13T12:45:52.000Z',
        '2015-08-31T21:53:21.000Z',
        '2016-11-13T12:45:43.000Z',
        '2016-11-13T12:45:43.000Z',
      ]);
      for (let cut = 0; cut <= stream.length; cut++) {
        const session = protocol.createSession();
        const first = session.push(stream.subarray(0, cut));
        expect(session.buffered).toBeLessThan(H02_BINARY_MAX_BYTES);
        expect([...first, ...session.push(stream.subarray(cut))]).toEqual(whole);
        expect(session.buffered).toBe(0);
      }
    });

    it('decodes a longer frame cut after its first 32 bytes from those, and skips the rest as noise', () => {
      const frame = bin(BIN_45_NW);
      for (let cut = 32; cut < frame.length; cut++) {
        const session = protocol.createSession();
        const first = session.push(frame.subarray(0, cut));
        expect(first).toEqual(decodeBin(BIN_45_NW));
        expect(session.push(frame.subarray(cut))).toEqual([]);
        expect(session.push(bin(BIN_32_SW.replace('2705170308', '4106000826')))).toHaveLength(1);
        expect(session.buffered).toBe(0);
      }
    });

    it('waits for the first 32 bytes, and reports a frame that another one interrupts as truncated', () => {
      const session = protocol.createSession();
      expect(session.push(bin(BIN_32).subarray(0, 31))).toEqual([]);
      expect(session.buffered).toBe(31);
      const messages = session.push(Buffer.from(TEXT_AFTER_BIN_32, 'latin1'));
      expect(messages.map((m) => m.type)).toEqual(['invalid', 'positions']);
      expect(messages[0]).toEqual({ type: 'invalid', reason: 'truncated binary frame' });
      expect(session.buffered).toBe(0);
    });

    it("skips bytes that are no binary frame: the X variant, a lone $, 0x24 bytes in BCD fields, another device's id", () => {
      const session = protocol.createSession();
      const messages = session.push(
        Buffer.concat([bin(X_FRAME), Buffer.from('$$ $1#'), bin(BIN_42_IMEI), bin(BIN_42_IMEI)]),
      );
      // BIN_42_IMEI starts "24 35 24 83 08 41 93": its third byte is a `$` followed by BCD bytes
      expect(messages.map((m) => (m.type === 'positions' ? m.imei : m.type))).toEqual([
        '352483084193293',
        '352483084193293',
      ]);
      // once the connection's device is known, a `$` that does not name it is noise
      expect(session.push(Buffer.concat([bin(BIN_32_SW), bin(BIN_42_IMEI)])).map((m) => m.type)).toEqual(['positions']);
      expect(decodeH02Binary(bin(X_FRAME))).toBeUndefined();
      expect(decodeH02Binary(Buffer.alloc(32, 0x24))).toBeUndefined();
      expect(decodeH02Binary(bin(BIN_32).subarray(0, 31))).toEqual({
        type: 'invalid',
        reason: 'truncated binary frame',
      });
    });

    it('turns 0,0 into a heartbeat and refuses minutes ≥ 60; never answers', () => {
      // BIN_32 with latitude and longitude digits zeroed, then with latitude minutes 75
      const zero = bin(BIN_32);
      zero.fill(0, 12, 16);
      zero.fill(0, 17, 21);
      zero[21] &= 0x0f;
      expect(only(protocol.createSession().push(zero))).toEqual({
        type: 'heartbeat',
        imei: '4106011660',
        attributes: { ignition: false, status: 0xfffffbff },
      });
      const bad = bin(BIN_32);
      bad[13] = 0x75;
      expect(only(protocol.createSession().push(bad))).toEqual({ type: 'invalid', reason: 'coordinates out of range' });
    });
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

    it('round-trips binary positions in all three layouts and four hemispheres, unanswered', () => {
      const records = [
        {
          ts: new Date('2024-01-02T03:04:05Z'),
          lat: 52.520008,
          lon: 13.404954,
          speedKmh: 50,
          heading: 90,
          ignition: true,
          battery: 80,
        },
        { ts: new Date('2024-01-02T03:04:35Z'), lat: -33.86882, lon: 151.20929, speedKmh: 0, heading: 0 },
        { ts: new Date('2024-12-31T23:59:59Z'), lat: -22.906847, lon: -43.172897, speedKmh: 120.5, heading: 359 },
        { ts: new Date('2024-02-29T12:00:00Z'), lat: 40.712776, lon: -74.005974, valid: false, alarm: 'sos' as const },
      ];
      for (const [layout, id] of [
        ['short', '4106011660'],
        ['long', '4106011660'],
        ['imei', '353505221264507'],
      ] as const) {
        const sim = new H02Device(id);
        const session = protocol.createSession();
        const messages = session.push(Buffer.concat(records.map((r) => sim.binaryPosition(r, layout))));
        expect(messages).toHaveLength(records.length);
        messages.forEach((message, i) => {
          const { fix, imei, ack } = positionsOf(message);
          const record = records[i];
          expect(imei).toBe(id);
          expect(ack).toBeUndefined();
          expect(fix.ts).toEqual(record.ts);
          expect(fix.lat).toBeCloseTo(record.lat, 5);
          expect(fix.lon).toBeCloseTo(record.lon, 5);
          expect(Math.abs((fix.speedKmh ?? 0) - (record.speedKmh ?? 0))).toBeLessThanOrEqual(1.852 / 2);
          expect(fix.heading).toBe(record.heading ?? 0);
          expect(fix.valid).toBe(record.valid !== false);
          expect(fix.battery).toBe(record.battery);
          expect(fix.attributes).toMatchObject({ ignition: record.ignition === true });
          expect((fix.attributes as { alarm?: string }).alarm).toBe(record.alarm);
        });
      }
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
