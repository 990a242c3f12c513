import { MAX_RANGE_DAYS, VEHICLE_LIMITS } from '@fleet/contracts';
import {
  validateInvitation,
  validateLogin,
  validateName,
  validatePeriod,
  validateVehicle,
  validateWebhook,
  vehicleInput,
} from './forms';

const vehicle = { name: 'Van 01', plate: '', type: 'van', speedLimitKmh: '', deviceIdentifier: '' };

describe('form validation', () => {
  it('login needs an e-mail address and a password', () => {
    expect(validateLogin({ email: '', password: '' })).toEqual({
      email: 'validation.required',
      password: 'validation.required',
    });
    expect(validateLogin({ email: 'demo', password: 'x' })).toEqual({ email: 'validation.email' });
    expect(validateLogin({ email: ' demo@example.com ', password: 'x' })).toEqual({});
  });

  it('a vehicle needs a name; limit and identifier follow the API’s rules', () => {
    expect(validateVehicle(vehicle)).toEqual({});
    expect(validateVehicle({ ...vehicle, name: '   ' })).toEqual({ name: 'validation.required' });
    expect(validateVehicle({ ...vehicle, speedLimitKmh: '0' })).toEqual({ speedLimitKmh: 'validation.speedLimit' });
    expect(validateVehicle({ ...vehicle, speedLimitKmh: 'fast' })).toEqual({ speedLimitKmh: 'validation.speedLimit' });
    expect(validateVehicle({ ...vehicle, speedLimitKmh: '90' })).toEqual({});
    expect(validateVehicle({ ...vehicle, deviceIdentifier: 'a b' })).toEqual({
      deviceIdentifier: 'validation.identifier',
    });
    expect(validateVehicle({ ...vehicle, deviceIdentifier: 'abc' })).toEqual({
      deviceIdentifier: 'validation.identifier',
    });
    expect(validateVehicle({ ...vehicle, deviceIdentifier: 'phone-12:34' })).toEqual({});
    expect(validateVehicle({ ...vehicle, plate: 'x'.repeat(21) })).toEqual({ plate: 'validation.tooLong' });
    expect(validateVehicle({ ...vehicle, name: 'x'.repeat(VEHICLE_LIMITS.nameMax + 1) })).toEqual({
      name: 'validation.tooLong',
    });
    expect(validateVehicle({ ...vehicle, speedLimitKmh: String(VEHICLE_LIMITS.speedLimitMaxKmh + 1) })).toEqual({
      speedLimitKmh: 'validation.speedLimit',
    });
    expect(validateVehicle({ ...vehicle, speedLimitKmh: String(VEHICLE_LIMITS.speedLimitMaxKmh) })).toEqual({});
  });

  it('sends empty optional vehicle fields as null or not at all', () => {
    expect(vehicleInput(vehicle)).toEqual({ name: 'Van 01', plate: null, type: 'van', speedLimitKmh: null });
    expect(vehicleInput({ ...vehicle, speedLimitKmh: '80', deviceIdentifier: ' dev-1 ' })).toMatchObject({
      speedLimitKmh: 80,
      deviceIdentifier: 'dev-1',
    });
  });

  it('a webhook needs an http(s) URL without credentials', () => {
    expect(validateWebhook({ url: '', eventTypes: [] })).toEqual({ url: 'validation.required' });
    expect(validateWebhook({ url: 'ftp://x.example', eventTypes: [] })).toEqual({ url: 'validation.url' });
    expect(validateWebhook({ url: 'not a url', eventTypes: [] })).toEqual({ url: 'validation.url' });
    expect(validateWebhook({ url: 'https://u:p@x.example/hook', eventTypes: [] })).toEqual({
      url: 'validation.urlCredentials',
    });
    expect(validateWebhook({ url: 'https://x.example/hook', eventTypes: ['overspeed'] })).toEqual({});
    expect(validateWebhook({ url: 'https://x.example/hook', eventTypes: ['teleported'] })).toEqual({
      eventTypes: 'validation.invalid',
    });
  });

  it('an invitation needs an e-mail and a known role', () => {
    expect(validateInvitation({ email: 'x@example.com', name: '', role: 'viewer' })).toEqual({});
    expect(validateInvitation({ email: 'x', name: '', role: 'viewer' })).toEqual({ email: 'validation.email' });
    expect(validateInvitation({ email: 'x@example.com', name: '', role: 'root' })).toEqual({
      role: 'validation.invalid',
    });
  });

  it('a geofence name is required and at most 100 characters', () => {
    expect(validateName(' ')).toBe('validation.required');
    expect(validateName('x'.repeat(101))).toBe('validation.tooLong');
    expect(validateName('Depot')).toBeUndefined();
  });

  it('a period runs forwards and lasts at most 31 days', () => {
    expect(validatePeriod('', '2026-11-27T10:00')).toEqual({ from: 'validation.required' });
    expect(validatePeriod('2026-11-27T10:00', '2026-11-27T09:00')).toEqual({ to: 'validation.periodOrder' });
    expect(validatePeriod('2026-10-01T00:00', '2026-11-27T00:00')).toEqual({ to: 'validation.periodLength' });
    expect(validatePeriod('2026-11-26T00:00', '2026-11-27T00:00')).toEqual({});
    const from = Date.parse('2026-10-01T00:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(validatePeriod(iso(from), iso(from + MAX_RANGE_DAYS * 86_400_000))).toEqual({});
    expect(validatePeriod(iso(from), iso(from + MAX_RANGE_DAYS * 86_400_000 + 60_000))).toEqual({
      to: 'validation.periodLength',
    });
  });
});
