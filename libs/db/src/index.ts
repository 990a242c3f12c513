export * as schema from './schema';
export { createDb, createPool, type Database, type Pool, type PoolOptions } from './client';
export {
  DEFAULT_MIGRATIONS_FOLDER,
  databaseName,
  dropDatabase,
  ensureDatabase,
  postgisAvailable,
  runMigrations,
} from './admin';
export { parseEwkbPoint, pointSql, type LatLon } from './postgis';
export { ensurePositionPartitions } from './maintenance';
export { driverError, isTransientDatabaseError } from './errors';
export { withTransaction } from './transaction';
export { selectEventDetails, toEventDetail, type EventDetailRow } from './event-detail';
export { GROUP_SUBTREE_SQL, groupSubtree, USER_SEES_VEHICLE_SQL, vehiclesInGroups, vehiclesVisibleTo } from './groups';
export {
  enqueueEventDeliveries,
  enqueueNotificationDeliveries,
  enqueuePushDeliveries,
  enqueueWebhookDeliveries,
} from './deliveries';
