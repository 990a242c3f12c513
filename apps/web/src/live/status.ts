import { VehicleStatus, vehicleStatus } from '@fleet/contracts';

/**
 * A vehicle's status from its last fix, re-evaluated as time passes (a vehicle that stops reporting
 * turns offline without any new message): the API's rule, `vehicleStatus` of @fleet/contracts.
 */
export { vehicleStatus };
export type { VehicleStatus };

/** The three states in the order of the legend and the filter. */
export const STATUSES: readonly VehicleStatus[] = VehicleStatus.options;

/**
 * Colours of the three states (also used by the legend, and by the phone app's map); distinguishable by
 * shape too (see markers). styles.css repeats them as --moving, --stopped, --offline.
 */
export { STATUS_COLOURS } from '@fleet/contracts';
