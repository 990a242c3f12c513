/**
 * The attribute names every tracker protocol normalises its IO / status elements to, so the
 * history, events and reports read one vocabulary whatever the hardware. A protocol also keeps each
 * raw IO element as `io<id>` (Teltonika `io239`), so nothing the device sent is lost.
 */
export interface TrackerAttributes {
  /** Ignition (ACC) on. */
  ignition?: boolean;
  /** The device's own movement sensor says it moves. */
  motion?: boolean;
  /** External (vehicle) power supply, volts. */
  power?: number;
  /** Backup battery, volts (the fix's `battery` field is a percentage when the device gives one). */
  batteryVoltage?: number;
  /** Odometer, metres (total distance as the device counts it). */
  odometer?: number;
  /** Fuel level as the device reports it (percent or litres, per model). */
  fuel?: number;
  /** GSM signal strength as reported (0–5 on GT06/Teltonika "GSM signal"). */
  rssi?: number;
  /** Satellites used by the fix. */
  satellites?: number;
  hdop?: number;
  /** Alarm raised by the device, in Traccar's names: sos, powerCut, vibration, overspeed, lowBattery, geofenceEnter, geofenceExit, tampering, … */
  alarm?: string;
  /**
   * The driver's identifier as the tracker reads it (RFID card, iButton key; Traccar's name), matched
   * against the organization's drivers' `uniqueId` for automatic assignment.
   */
  driverUniqueId?: string;
  /** Re-uploaded from the device's buffer rather than sent in real time (GT06 0x12 vs 0x22 realtime flag). */
  archive?: boolean;
}

export type TrackerAttributeName = keyof TrackerAttributes;
