import { endpoint, errorResponse as error, commonErrors as common, idParams, notHere } from '../endpoint';
import {
  NotificationDeliveryList,
  NotificationDeliveryListQuery,
  NotificationRule,
  NotificationRuleInput,
  NotificationRuleList,
  NotificationRuleUpdate,
  NotificationTestQueued,
} from '../notifications';

/** Each user's own rules: another user's rule, or another organization's, is a 404. */
export const NOTIFICATIONS_ENDPOINTS = {
  listNotificationRules: endpoint({
    method: 'get',
    path: '/api/v1/notification-rules',
    summary: 'The caller’s notification rules (e-mail, Telegram)',
    tag: 'notifications',
    security: 'user',
    responses: { 200: { description: 'rules', schema: NotificationRuleList }, ...common },
  }),
  createNotificationRule: endpoint({
    method: 'post',
    path: '/api/v1/notification-rules',
    summary: 'Create a notification rule: event types, vehicles, channels, language, time zone, quiet hours',
    tag: 'notifications',
    security: 'user',
    body: NotificationRuleInput,
    responses: {
      201: { description: 'created', schema: NotificationRule },
      ...common,
      409: error('too many rules for this user'),
    },
  }),
  getNotificationRule: endpoint({
    method: 'get',
    path: '/api/v1/notification-rules/:id',
    summary: 'One of the caller’s notification rules',
    tag: 'notifications',
    security: 'user',
    params: idParams,
    responses: { 200: { description: 'the rule', schema: NotificationRule }, ...common, ...notHere('rule') },
  }),
  updateNotificationRule: endpoint({
    method: 'patch',
    path: '/api/v1/notification-rules/:id',
    summary: 'Change a notification rule; deliveries already queued keep their channel',
    tag: 'notifications',
    security: 'user',
    params: idParams,
    body: NotificationRuleUpdate,
    responses: { 200: { description: 'the rule', schema: NotificationRule }, ...common, ...notHere('rule') },
  }),
  deleteNotificationRule: endpoint({
    method: 'delete',
    path: '/api/v1/notification-rules/:id',
    summary: 'Delete a notification rule and its delivery log',
    tag: 'notifications',
    security: 'user',
    params: idParams,
    responses: { 204: { description: 'deleted' }, ...common, ...notHere('rule') },
  }),
  testNotificationRule: endpoint({
    method: 'post',
    path: '/api/v1/notification-rules/:id/test',
    summary: 'Queue a test notification through each channel of the rule; its outcome shows in the delivery log',
    tag: 'notifications',
    security: 'user',
    params: idParams,
    responses: {
      202: { description: 'queued; the worker sends it', schema: NotificationTestQueued },
      ...common,
      ...notHere('rule'),
    },
  }),
  listNotificationDeliveries: endpoint({
    method: 'get',
    path: '/api/v1/notification-deliveries',
    summary: 'The delivery log of the caller’s rules, newest first, with attempts and last error',
    tag: 'notifications',
    security: 'user',
    query: NotificationDeliveryListQuery,
    responses: {
      200: { description: 'deliveries', schema: NotificationDeliveryList },
      ...common,
      ...notHere('rule'),
    },
  }),
};
