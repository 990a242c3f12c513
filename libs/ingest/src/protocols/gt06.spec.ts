import { crcX25, encodeGt06Command, gt06, gt06Answer, gt06Frame, gt06TimeZoneMinutes } from './gt06';
import { FrameError, type DeviceMessage } from './tcp';
import { Gt06Device, parseGt06Command, parseGt06Frames } from './testing/gt06-device';

// Frames below come from the GT06 communication protocol document (Concox, "GPS Tracker Communication
// Protocol", examples of login and of its answer) and from Traccar's Gt06ProtocolDecoderTest /
// Gt06ProtocolEncoderTest (traccar/traccar, src/test/java/org/traccar/protocol/). Expected values are
// computed from the bytes (coordinate / 1,800,000) and, where Traccar's test states them, equal to its
// position(...).

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const decode = (text: string) => gt06.createSession().push(hex(text));
const only = (messages: DeviceMessage[]) => {
  expect(messages).toHaveLength(1);
  return messages[0];
};
const positionsOf = (message: DeviceMessage) => {
  if (message.type !== 'positions') throw new Error(`expected positions, got ${JSON.stringify(message)}`);
  expect(message.fixes).toHaveLength(1);
  return { ...message, fix: message.fixes[0] };
};
const deg = (value: number) => value / 1_800_000;

/** GT06 document, login example (IMEI 0123456789012345, serial 1) and its answer. */
const LOGIN_DOC = '78 78 0D 01 01 23 45 67 89 01 23 45 00 01 8C DD 0D 0A';
const LOGIN_DOC_ANSWER = '78 78 05 01 00 01 D9 DC 0D 0A';
/** Traccar test, 0x12: position("2015-10-20 14:21:11.000", true, 54.94535, 24.01762). */
const GPS_12 = '78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a';
/** Traccar test, 0x22 with the re-upload byte set. */
const GPS_22_ARCHIVE = '787822220F0C1D023305C9027AC8180C46586000140001CC00287D001F71000001000820860D0A';
/** Traccar test, 0x22 sent in real time. */
const GPS_22_REALTIME = '78782222120616083817c5050cc8c801a819d600152400e8011dbf003332000000004862500d0a';
/** Traccar test, 0x13 status. */
const STATUS_13 = '78780a13c40604000201298f5b0d0a';
/** Traccar test, 0x16 alarm: southern/western hemispheres, power cut. */
const ALARM_16 = '7878251610051b0f1c34c5022515d504b5dcd20738080902d4022bdf009cba5006640201006759680d0a';
/** Traccar test, login with the time zone / language word 0x190A: 400 (4 h), bit 3 set → UTC−4. */
const LOGIN_TZ_WEST_4 = '787811010864717003664467100f190a0002c6d20d0a';
/**
 * Traccar test "787811010123456789012345100B3201000171930D0A", login with the time zone / language word
 * 0x3201: 800 (8 h), bit 3 clear → UTC+8. Its CRC (7193) does not match its bytes (Traccar does not check
 * it, this decoder refuses it): the same content with its CRC computed.
 */
const LOGIN_TZ_EAST_8 = gt06Frame(0x01, hex('0123456789012345100B3201'), 1).toString('hex');
/** Traccar test, login with the time zone / language word 0x0000: UTC. */
const LOGIN_TZ_ZERO = '787811010863586038760942a0010000010aa4000d0a';

describe('gt06', () => {
  it("declares Traccar's port and its environment variable", () => {
    expect(gt06).toMatchObject({ name: 'gt06', portEnv: 'GT06_PORT', defaultPort: 5023 });
  });

  it('computes CRC-16/X-25 (the standard check value of "123456789" is 0x906E)', () => {
    expect(crcX25(Buffer.from('123456789'))).toBe(0x906e);
  });

  it("decodes the document's login, strips the BCD IMEI's leading 0, and accepts with its answer bytes", () => {
    const login = only(decode(LOGIN_DOC));
    expect(login).toEqual({ type: 'login', imei: '123456789012345', accept: hex(LOGIN_DOC_ANSWER) });
    // Traccar test "78780D01086471700328358100093F040D0A": IMEI 864717003283581, serial 9
    expect(only(decode('78780D01086471700328358100093F040D0A'))).toEqual({
      type: 'login',
      imei: '864717003283581',
      accept: gt06Answer(0x01, 9),
    });
  });

  it('decodes a 0x12 GPS frame and acknowledges it with its serial, once stored', () => {
    const m = positionsOf(only(decode(GPS_12)));
    expect(m.fix.ts).toEqual(new Date('2015-10-20T14:21:11Z'));
    expect(m.fix.lat).toBeCloseTo(deg(0x05e51e78), 12);
    expect(m.fix.lon).toBeCloseTo(deg(0x0293a9e8), 12);
    expect(m.fix.lat).toBeCloseTo(54.94535, 5);
    expect(m.fix.lon).toBeCloseTo(24.01762, 5);
    expect(m.fix).toMatchObject({ valid: true, speedKmh: 0, heading: 0 });
    // course/status 0x5400: positioned, north, east, ACC state present (bit 14) and off (bit 15)
    expect(m.fix.attributes).toEqual({ satellites: 5, ignition: false });
    expect(m.ack).toEqual(gt06Answer(0x12, 3));
  });

  it('keeps the re-upload flag of 0x22 as the archive attribute', () => {
    const archived = positionsOf(only(decode(GPS_22_ARCHIVE)));
    expect(archived.fix.ts).toEqual(new Date('2015-12-29T02:51:05Z'));
    expect(archived.fix.lat).toBeCloseTo(deg(0x027ac818), 12);
    expect(archived.fix.lon).toBeCloseTo(deg(0x0c465860), 12);
    expect(archived.fix.valid).toBe(true);
    expect(archived.fix.attributes).toEqual({ satellites: 9, ignition: false, uploadMode: 0, archive: true });
    expect(archived.ack).toEqual(gt06Answer(0x22, 8));

    const live = positionsOf(only(decode(GPS_22_REALTIME)));
    expect(live.fix.ts).toEqual(new Date('2018-06-22T08:56:23Z'));
    expect(live.fix.lat).toBeCloseTo(deg(0x050cc8c8), 12);
    expect(live.fix.lon).toBeCloseTo(deg(0x01a819d6), 12);
    expect(live.fix.heading).toBe(0x124); // 292°
    expect(live.fix.attributes).toMatchObject({ archive: false });
  });

  it('reads a 0x22 without the positioned bit as not valid (Traccar test, ACC on, re-uploaded)', () => {
    const m = positionsOf(
      only(decode('787822221106160a1016c60278019407c7783800040001940504700046fc01030100065f570d0a')),
    );
    expect(m.fix.ts).toEqual(new Date('2017-06-22T10:16:22Z'));
    expect(m.fix.valid).toBe(false);
    expect(m.fix.attributes).toEqual({ satellites: 6, ignition: true, uploadMode: 3, archive: true });
  });

  it('turns a 0x13 status into a heartbeat answered at once with its serial', () => {
    const m = only(decode(STATUS_13));
    // terminal info 0xC4: charging, ACC off, no alarm; voltage level 6 (full); GSM signal 4
    expect(m).toEqual({
      type: 'heartbeat',
      reply: gt06Answer(0x13, 0x0129),
      attributes: { ignition: false, charge: true, armed: false, rssi: 4, voltageLevel: 6, battery: 100 },
    });
  });

  it('decodes a 0x16 alarm with its position (southern/western), status and alarm type', () => {
    const m = positionsOf(only(decode(ALARM_16)));
    expect(m.fix.ts).toEqual(new Date('2016-05-27T15:28:52Z'));
    expect(m.fix.lat).toBeCloseTo(-deg(0x022515d5), 12);
    expect(m.fix.lon).toBeCloseTo(-deg(0x04b5dcd2), 12);
    expect(m.fix).toMatchObject({ speedKmh: 7, heading: 8, valid: true, battery: 100 });
    expect(m.fix.attributes).toMatchObject({ alarm: 'powerCut', rssi: 100, ignition: false, satellites: 5 });
    expect(m.ack).toEqual(gt06Answer(0x16, 0x67));
  });

  it('decodes other alarms: vibration (0x16) and the UTC variant 0x26', () => {
    // Traccar test: status block 48 04 04 03 01 → info alarm bits 001 and alarm byte 03: vibration
    const vibration = positionsOf(
      only(decode('787825160F0C1D0A2B21C8027AC8040C46581000146F0901CC00287D001F714804040301001C84CF0D0A')),
    );
    expect(vibration.fix).toMatchObject({ heading: 111, battery: 67, valid: true });
    expect(vibration.fix.attributes).toMatchObject({ alarm: 'vibration', rssi: 4 });
    // Traccar test, 0x26: not positioned, northern, charging
    const utc = positionsOf(
      only(decode('7878252612030C063816C3026C10540C38C9700144030901CC002866000EEE0C06040302000DA2DB0D0A')),
    );
    expect(utc.fix.ts).toEqual(new Date('2018-03-12T06:56:22Z'));
    expect(utc.fix.lat).toBeCloseTo(deg(0x026c1054), 12);
    expect(utc.fix).toMatchObject({ valid: false, speedKmh: 1, heading: 3 });
    expect(utc.fix.attributes).toMatchObject({ alarm: 'vibration', charge: true });
    expect(utc.ack).toEqual(gt06Answer(0x26, 0x0d));
  });

  it('never answers a frame with a bad CRC', () => {
    // The GT06 document's own 0x12 example carries a CRC that does not match its bytes (Traccar does not check).
    expect(only(decode('78781F120B081D112E10CC027AC7EB0C46584900148F01CC00287D001FB8000380810D0A'))).toEqual({
      type: 'invalid',
      reason: 'bad crc',
    });
    const corrupted = hex(GPS_12);
    corrupted[10] ^= 0x01;
    expect(gt06.createSession().push(corrupted)).toEqual([{ type: 'invalid', reason: 'bad crc' }]);
  });

  it("decodes the device's answers to commands (0x15 ASCII, 0x21 UTF-16)", () => {
    // Traccar tests
    expect(
      only(
        decode('78782d152500000000437574206f666620746865206675656c20737570706c793a2053756363657373210002013b898a0d0a'),
      ),
    ).toEqual({
      type: 'commandResult',
      text: 'Cut off the fuel supply: Success!',
      reply: gt06Answer(0x15, 0x013b),
    });
    expect(
      only(decode('797900262100000000020043006f006d006d0061006e00640020006500720072006f0072002100236e850d0a')),
    ).toEqual({
      type: 'commandResult',
      text: 'Command error!',
    });
  });

  it('answers other well-formed frames as heartbeats, except requests that expect content back', () => {
    // Traccar test "7878058A000688290D0A": a time request (0x8A); Traccar answers it with the time, not empty
    expect(only(decode('7878058A000688290D0A'))).toEqual({ type: 'heartbeat', attributes: { protocol: 0x8a } });
    // Traccar test "78780D1F000000000000000200B196A20D0A" (0x1F): answered like any frame it reads
    expect(only(decode('78780d1f000000000000000200b196a20d0a'))).toEqual({
      type: 'heartbeat',
      attributes: { protocol: 0x1f },
      reply: gt06Answer(0x1f, 0x00b1),
    });
  });

  it("encodes command 0x80 as Traccar's Gt06ProtocolEncoderTest expects (flag and serial 0)", () => {
    expect(gt06.encodeCommand('123456789012345', 'Relay,1#', 0).toString('hex')).toBe(
      '787812800c0000000052656c61792c312300009dee0d0a',
    );
    const [frame] = parseGt06Frames(gt06.encodeCommand('123456789012345', 'RELAY,1#', 0x1234));
    expect(frame).toMatchObject({ protocol: 0x80, serial: 0x1234, crcOk: true });
    expect(parseGt06Command(frame)).toEqual({ serverFlag: 0x1234, text: 'RELAY,1#' });
    expect(() => encodeGt06Command('é', 1)).toThrow(/ASCII/);
  });

  it('gives the same messages whatever byte boundary the stream is split at', () => {
    const stream = Buffer.concat([LOGIN_DOC, GPS_12, STATUS_13, GPS_22_ARCHIVE, ALARM_16].map(hex));
    const whole = gt06.createSession().push(stream);
    expect(whole.map((m) => m.type)).toEqual(['login', 'positions', 'heartbeat', 'positions', 'positions']);
    for (let cut = 0; cut <= stream.length; cut++) {
      const session = gt06.createSession();
      const first = session.push(stream.subarray(0, cut));
      expect(session.buffered).toBeLessThanOrEqual(gt06.maxFrameBytes);
      expect([...first, ...session.push(stream.subarray(cut))]).toEqual(whole);
      expect(session.buffered).toBe(0);
    }
    const session = gt06.createSession();
    expect([...stream].flatMap((byte) => session.push(Buffer.from([byte])))).toEqual(whole);
  });

  it('throws FrameError for a wrong start, a wrong end or an oversized frame', () => {
    const reasonOf = (bytes: Buffer) => {
      try {
        gt06.createSession().push(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(FrameError);
        return (error as FrameError).reason;
      }
      return 'none';
    };
    expect(reasonOf(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('garbage');
    expect(reasonOf(hex('7879'))).toBe('garbage');
    expect(reasonOf(Buffer.concat([hex(GPS_12), hex('00')]))).toBe('garbage');
    const badEnd = hex(STATUS_13);
    badEnd[badEnd.length - 1] = 0x0b;
    expect(reasonOf(badEnd)).toBe('garbage');
    expect(reasonOf(hex('7979ffff'))).toBe('too_large');
    expect(reasonOf(hex('7878'))).toBe('none');
  });

  describe('time zone of the login (GT06 login 0x01 "time zone / language" word)', () => {
    it('reads the offset in the high 12 bits (hhmm, or hundredths of an hour), bit 3 = west', () => {
      expect(gt06TimeZoneMinutes(0x190a)).toBe(-240);
      expect(gt06TimeZoneMinutes(0x3201)).toBe(480);
      expect(gt06TimeZoneMinutes(0x0000)).toBe(0);
      expect(gt06TimeZoneMinutes(0x0008)).toBe(0);
      expect(gt06TimeZoneMinutes(530 << 4)).toBe(330); // India as hhmm
      expect(gt06TimeZoneMinutes(550 << 4)).toBe(330); // India as hundredths of an hour
      expect(gt06TimeZoneMinutes(545 << 4)).toBe(345); // Nepal as hhmm
      expect(gt06TimeZoneMinutes(575 << 4)).toBe(345); // Nepal as hundredths
      expect(gt06TimeZoneMinutes((930 << 4) | 0x08)).toBe(-570); // Marquesas
      expect(gt06TimeZoneMinutes(1400 << 4)).toBe(840);
      // no time zone: minutes that are neither reading of a real zone, beyond UTC±14
      expect(gt06TimeZoneMinutes(512 << 4)).toBeUndefined();
      expect(gt06TimeZoneMinutes(1500 << 4)).toBeUndefined();
      expect(gt06TimeZoneMinutes(0xfff0)).toBeUndefined();
    });

    it("applies the login's offset to the GPS times of the frames after it, in that session only", () => {
      // GPS_12 says 2015-10-20 14:21:11 (Traccar's expected time for a device in UTC).
      const at = (login: string) => {
        const session = gt06.createSession();
        expect(only(session.push(hex(login)))).toMatchObject({ type: 'login' });
        return positionsOf(only(session.push(hex(GPS_12)))).fix.ts;
      };
      expect(at(LOGIN_TZ_WEST_4)).toEqual(new Date('2015-10-20T18:21:11Z'));
      expect(at(LOGIN_TZ_EAST_8)).toEqual(new Date('2015-10-20T06:21:11Z'));
      expect(at(LOGIN_TZ_ZERO)).toEqual(new Date('2015-10-20T14:21:11Z'));
      expect(at(LOGIN_DOC)).toEqual(new Date('2015-10-20T14:21:11Z')); // no time zone word: UTC
      expect(only(decode('787811010123456789012345100B3201000171930D0A'))).toEqual({
        type: 'invalid',
        reason: 'bad crc',
      });
      // the login's other fields are unchanged
      expect(only(decode(LOGIN_TZ_WEST_4))).toEqual({
        type: 'login',
        imei: '864717003664467',
        accept: gt06Answer(0x01, 2),
      });
    });

    it('shifts 0x22 and alarm (0x16) times too, across a date boundary, and a new login replaces the offset', () => {
      const session = gt06.createSession();
      session.push(hex(LOGIN_TZ_EAST_8));
      // Traccar test 0x22: local 2015-12-29 02:51:05 → the day before in UTC.
      expect(positionsOf(only(session.push(hex(GPS_22_ARCHIVE)))).fix.ts).toEqual(new Date('2015-12-28T18:51:05Z'));
      // Traccar test 0x16: local 2016-05-27 15:28:52.
      expect(positionsOf(only(session.push(hex(ALARM_16)))).fix.ts).toEqual(new Date('2016-05-27T07:28:52Z'));
      session.push(hex(LOGIN_TZ_WEST_4));
      expect(positionsOf(only(session.push(hex(GPS_12)))).fix.ts).toEqual(new Date('2015-10-20T18:21:11Z'));
      session.push(hex(LOGIN_DOC));
      expect(positionsOf(only(session.push(hex(GPS_12)))).fix.ts).toEqual(new Date('2015-10-20T14:21:11Z'));
    });

    it('round-trips a simulated device set to UTC+5:30 and one set to UTC−3', () => {
      const ts = new Date('2024-03-01T20:15:00Z');
      for (const zoneMinutes of [330, -180]) {
        const device = new Gt06Device('864717003283581', { zoneMinutes });
        const session = gt06.createSession();
        session.push(device.login());
        expect(positionsOf(only(session.push(device.position({ ts, lat: 12.97, lon: 77.59 })))).fix.ts).toEqual(ts);
        expect(positionsOf(only(session.push(device.alarm({ ts, lat: 12.97, lon: 77.59 }, 'sos')))).fix.ts).toEqual(ts);
        // the same bytes in a session without that login are read as UTC
        expect(
          positionsOf(only(gt06.createSession().push(device.position({ ts, lat: 12.97, lon: 77.59 })))).fix.ts,
        ).toEqual(new Date(ts.getTime() + zoneMinutes * 60_000));
      }
    });
  });

  describe('with a simulated device', () => {
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
      { ts: new Date('2024-12-31T23:59:59Z'), lat: -22.906847, lon: -43.172897, speedKmh: 121, heading: 359 },
      { ts: new Date('2024-02-29T12:00:00Z'), lat: 40.712776, lon: -74.005974, valid: false },
    ];

    it('logs in, sends real-time and re-uploaded positions, and reads answers that echo each serial', () => {
      const device = new Gt06Device('864717003283581', { firstSerial: 0xfffe });
      const session = gt06.createSession();
      const [login] = session.push(device.login());
      expect(login).toMatchObject({ type: 'login', imei: '864717003283581' });
      expect(parseGt06Frames((login as { accept: Buffer }).accept)).toEqual([
        { protocol: 0x01, serial: 0xfffe, content: Buffer.alloc(0), crcOk: true },
      ]);
      records.forEach((record, i) => {
        const serial = device.serial;
        const archive = i % 2 === 1;
        const m = positionsOf(only(session.push(device.position(record, { archive }))));
        expect(m.fix.ts).toEqual(record.ts);
        expect(m.fix.lat).toBeCloseTo(record.lat, 6);
        expect(m.fix.lon).toBeCloseTo(record.lon, 6);
        expect(m.fix.speedKmh).toBe(record.speedKmh ?? 0);
        expect(m.fix.heading).toBe(record.heading ?? 0);
        expect(m.fix.valid).toBe(record.valid !== false);
        expect(m.fix.attributes).toMatchObject({ archive, ignition: record.ignition === true });
        expect(parseGt06Frames(m.ack as Buffer)).toEqual([
          { protocol: 0x22, serial, content: Buffer.alloc(0), crcOk: true },
        ]);
      });
      // 0x12 has no archive flag
      const plain = positionsOf(only(session.push(device.position(records[0], { protocol: 0x12 }))));
      expect(plain.fix.attributes).not.toHaveProperty('archive');
    });

    it('round-trips heartbeats, alarms and command answers', () => {
      const device = new Gt06Device('123456789012345');
      const session = gt06.createSession();
      const heartbeat = only(session.push(device.heartbeat({ ignition: true, charging: false, level: 3, rssi: 2 })));
      expect(heartbeat).toMatchObject({
        type: 'heartbeat',
        attributes: { ignition: true, charge: false, battery: 50, rssi: 2 },
      });
      const alarm = positionsOf(only(session.push(device.alarm(records[2], 'sos', { level: 6 }, 0x26))));
      expect(alarm.fix.lat).toBeCloseTo(records[2].lat, 6);
      expect(alarm.fix.attributes).toMatchObject({ alarm: 'sos' });
      expect(parseGt06Frames(alarm.ack as Buffer)[0]).toMatchObject({ protocol: 0x26, crcOk: true });
      expect(only(session.push(device.commandAnswer('RELAY=1 OK', 7)))).toMatchObject({
        type: 'commandResult',
        text: 'RELAY=1 OK',
      });
    });

    it('answers a fix at 0,0 (no fix yet) without storing it', () => {
      const device = new Gt06Device('123456789012345');
      const m = only(
        gt06
          .createSession()
          .push(device.position({ ts: new Date('2024-01-01T00:00:00Z'), lat: 0, lon: 0, valid: false })),
      );
      expect(m.type).toBe('heartbeat');
      expect(m.type === 'heartbeat' && parseGt06Frames(m.reply as Buffer)[0].protocol).toBe(0x22);
    });
  });
});
