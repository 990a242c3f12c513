import { DEFAULT_TRACKER_SETTINGS } from '@fleet/contracts';
import { parseDraft } from './TrackerSettingsForm';

const empty = {
  distanceFilterMeters: '',
  timeIntervalSeconds: '',
  headingChangeDegrees: '',
  chargingIntervalSeconds: '',
  accuracyFilterMeters: '',
  heartbeatSeconds: '',
  uploadBatchSize: '',
  uploadIntervalSeconds: '',
};

describe('tracker settings form', () => {
  it('keeps only the fields filled in as the override', () => {
    expect(
      parseDraft({ ...empty, distanceFilterMeters: ' 25 ', uploadBatchSize: '1000' }, 10, DEFAULT_TRACKER_SETTINGS),
    ).toEqual({ overrides: { distanceFilterMeters: 25, uploadBatchSize: 1000 }, errors: {} });
  });

  it('names out-of-range and non-integer fields, and a heartbeat at or over the offline threshold', () => {
    expect(
      parseDraft({ ...empty, uploadBatchSize: '1001', timeIntervalSeconds: '1.5' }, 10, DEFAULT_TRACKER_SETTINGS)
        .errors,
    ).toEqual({
      uploadBatchSize: 'tracker.outOfRange',
      timeIntervalSeconds: 'tracker.outOfRange',
    });
    expect(parseDraft({ ...empty, heartbeatSeconds: '600' }, 10, DEFAULT_TRACKER_SETTINGS).errors).toEqual({
      heartbeatSeconds: 'tracker.heartbeatTooLong',
    });
    // An inherited heartbeat too long for a shorter threshold is flagged as well.
    expect(parseDraft(empty, 4, DEFAULT_TRACKER_SETTINGS).errors).toEqual({
      heartbeatSeconds: 'tracker.heartbeatTooLong',
    });
  });
});
