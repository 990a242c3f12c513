import { AUTH_ENDPOINTS } from './auth';
import { COMMANDS_ENDPOINTS } from './commands';
import { DRIVERS_ENDPOINTS } from './drivers';
import { EVENTS_ENDPOINTS } from './events';
import { GEOFENCES_ENDPOINTS } from './geofences';
import { GROUPS_ENDPOINTS } from './groups';
import { INGEST_ENDPOINTS } from './ingest';
import { LIVE_ENDPOINTS } from './live';
import { MAINTENANCE_ENDPOINTS } from './maintenance';
import { MOBILE_ENDPOINTS } from './mobile';
import { NOTIFICATIONS_ENDPOINTS } from './notifications';
import { OPERATIONS_ENDPOINTS } from './operations';
import { ORGANIZATION_ENDPOINTS } from './organization';
import { PLATFORM_ENDPOINTS } from './platform';
import { REPORTS_ENDPOINTS } from './reports';
import { REPORT_SCHEDULES_ENDPOINTS } from './report-schedules';
import { SHARE_LINKS_ENDPOINTS } from './share-links';
import { TRACKING_ENDPOINTS } from './tracking';
import { USERS_ENDPOINTS } from './users';
import { VEHICLES_ENDPOINTS } from './vehicles';
import { WEBHOOKS_ENDPOINTS } from './webhooks';

/**
 * Every endpoint the API serves (except the development-only `/api/v1/_debug`), by operation name.
 * The API registers each one from here, the OpenAPI document is built from here and the client has
 * one method per key: adding an endpoint is one entry here plus its handler.
 */
export const ENDPOINTS = {
  ...OPERATIONS_ENDPOINTS,
  ...INGEST_ENDPOINTS,
  ...AUTH_ENDPOINTS,
  ...USERS_ENDPOINTS,
  ...VEHICLES_ENDPOINTS,
  ...GROUPS_ENDPOINTS,
  ...DRIVERS_ENDPOINTS,
  ...MAINTENANCE_ENDPOINTS,
  ...TRACKING_ENDPOINTS,
  ...REPORTS_ENDPOINTS,
  ...REPORT_SCHEDULES_ENDPOINTS,
  ...LIVE_ENDPOINTS,
  ...SHARE_LINKS_ENDPOINTS,
  ...COMMANDS_ENDPOINTS,
  ...GEOFENCES_ENDPOINTS,
  ...EVENTS_ENDPOINTS,
  ...WEBHOOKS_ENDPOINTS,
  ...NOTIFICATIONS_ENDPOINTS,
  ...ORGANIZATION_ENDPOINTS,
  ...MOBILE_ENDPOINTS,
  ...PLATFORM_ENDPOINTS,
};
export type Endpoints = typeof ENDPOINTS;
export type EndpointName = keyof Endpoints;
export {
  AUTH_ENDPOINTS,
  COMMANDS_ENDPOINTS,
  DRIVERS_ENDPOINTS,
  EVENTS_ENDPOINTS,
  GEOFENCES_ENDPOINTS,
  GROUPS_ENDPOINTS,
  INGEST_ENDPOINTS,
  LIVE_ENDPOINTS,
  MAINTENANCE_ENDPOINTS,
  MOBILE_ENDPOINTS,
  NOTIFICATIONS_ENDPOINTS,
  OPERATIONS_ENDPOINTS,
  ORGANIZATION_ENDPOINTS,
  PLATFORM_ENDPOINTS,
  REPORTS_ENDPOINTS,
  REPORT_SCHEDULES_ENDPOINTS,
  SHARE_LINKS_ENDPOINTS,
  TRACKING_ENDPOINTS,
  USERS_ENDPOINTS,
  VEHICLES_ENDPOINTS,
  WEBHOOKS_ENDPOINTS,
};
