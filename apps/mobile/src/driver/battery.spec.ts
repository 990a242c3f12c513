import * as Battery from 'expo-battery';
import { batteryPercent, onPower, readPower, UNKNOWN_POWER, watchPower } from './battery';

jest.mock('expo-battery', () => ({
  ...jest.requireActual('expo-battery/build/Battery.types'),
  getBatteryLevelAsync: jest.fn(),
  getBatteryStateAsync: jest.fn(),
  addBatteryLevelListener: jest.fn(),
  addBatteryStateListener: jest.fn(),
}));

const mocked = jest.mocked(Battery);
const { BatteryState } = Battery;

beforeEach(() => jest.clearAllMocks());

describe('battery', () => {
  it('turns expo-battery’s 0–1 level into a whole percent, and its −1 (unknown) into null', () => {
    expect(batteryPercent(0.759999)).toBe(76);
    expect(batteryPercent(1)).toBe(100);
    expect(batteryPercent(0)).toBe(0);
    expect(batteryPercent(-1)).toBeNull();
    expect(batteryPercent(Number.NaN)).toBeNull();
    expect(batteryPercent(undefined)).toBeNull();
  });

  it('counts charging, full and plugged-but-held (Android battery protection) as on power', () => {
    expect(onPower(BatteryState.CHARGING)).toBe(true);
    expect(onPower(BatteryState.FULL)).toBe(true);
    expect(onPower(BatteryState.NOT_CHARGING)).toBe(true);
    expect(onPower(BatteryState.UNPLUGGED)).toBe(false);
    expect(onPower(BatteryState.UNKNOWN)).toBe(false);
  });

  it('reads level and state, and gives unknown power instead of failing', async () => {
    mocked.getBatteryLevelAsync.mockResolvedValue(0.42);
    mocked.getBatteryStateAsync.mockResolvedValue(BatteryState.CHARGING);
    expect(await readPower()).toEqual({ battery: 42, charging: true });
    mocked.getBatteryStateAsync.mockRejectedValue(new Error('ExpoBattery is not available'));
    expect(await readPower()).toEqual(UNKNOWN_POWER);
  });

  it('reports the whole power on each change and removes both listeners', () => {
    const removes = [jest.fn(), jest.fn()];
    let level: ((e: { batteryLevel: number }) => void) | undefined;
    let state: ((e: { batteryState: Battery.BatteryState }) => void) | undefined;
    mocked.addBatteryLevelListener.mockImplementation((fn) => {
      level = fn;
      return { remove: removes[0] };
    });
    mocked.addBatteryStateListener.mockImplementation((fn) => {
      state = fn;
      return { remove: removes[1] };
    });
    const seen: unknown[] = [];
    const stop = watchPower({ battery: 80, charging: false }, (p) => seen.push(p));
    state?.({ batteryState: BatteryState.CHARGING });
    level?.({ batteryLevel: 0.81 });
    level?.({ batteryLevel: -1 });
    expect(seen).toEqual([
      { battery: 80, charging: true },
      { battery: 81, charging: true },
      { battery: null, charging: true },
    ]);
    stop();
    expect(removes.map((r) => r.mock.calls.length)).toEqual([1, 1]);
  });
});
