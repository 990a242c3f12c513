// Moved to @fleet/db (the API's hand driver assignments queue the same deliveries).
export { enqueueNotificationDeliveries } from '@fleet/db';
