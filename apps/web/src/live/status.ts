import { VehicleStatus, vehicleStatus } from '@fleet/contracts';

/**
 * A vehicle's status from its last fix, re-evaluated as time passes (a vehicle that stops reporting
 * turns offline without any new message): the API's rule, `vehicleStatus` of @fleet/contracts.
 */
export { vehicleStatus };
export type { VehicleStatus };

/** The three states in the order of the legend and the filter. */
export const STATUSES: readonly VehicleStatus[] = VehicleStatus.options;

/** Colours of the three states (also used by the legend); distinguishable by shape too (see markers). */
export const STATUS_COLOURS: Record<VehicleStatus, string> = {
  moving: '#1a7f37',
  stopped: '#bf8700',
  offline: '#6e7781',
};
