import { endpoint, errorResponse as error, commonErrors as common, idParams, notHere } from '../endpoint';
import {
  DeviceSettings,
  PushTokenRegistered,
  PushTokenRegistration,
  PushTokenUnregistration,
  TrackerSettingsLevel,
  TrackerSettingsOverride,
} from '../mobile';

/** Our mobile app's server side: tracker settings (organization, vehicle, device) and push tokens. */
export const MOBILE_ENDPOINTS = {
  getOrganizationTrackerSettings: endpoint({
    method: 'get',
    path: '/api/v1/organization/tracker-settings',
    summary: 'The organization’s tracker-app settings: what it overrides and what applies with the defaults',
    tag: 'mobile',
    security: 'user',
    responses: { 200: { description: 'the settings', schema: TrackerSettingsLevel }, 401: common[401] },
  }),
  putOrganizationTrackerSettings: endpoint({
    method: 'put',
    path: '/api/v1/organization/tracker-settings',
    summary:
      'Replace the organization’s tracker-app overrides (absent keys take the defaults); phones pick them up at their next settings check',
    tag: 'mobile',
    security: 'user',
    roles: ['admin'],
    body: TrackerSettingsOverride,
    responses: { 200: { description: 'the settings', schema: TrackerSettingsLevel }, ...common },
  }),
  getVehicleTrackerSettings: endpoint({
    method: 'get',
    path: '/api/v1/vehicles/:id/tracker-settings',
    summary: 'A vehicle’s tracker-app override (null: none) and the settings its phone applies',
    tag: 'mobile',
    security: 'user',
    params: idParams,
    responses: {
      200: { description: 'the settings', schema: TrackerSettingsLevel },
      ...common,
      ...notHere('vehicle'),
    },
  }),
  putVehicleTrackerSettings: endpoint({
    method: 'put',
    path: '/api/v1/vehicles/:id/tracker-settings',
    summary: 'Replace a vehicle’s tracker-app override (over the organization’s settings)',
    tag: 'mobile',
    security: 'user',
    roles: ['admin'],
    params: idParams,
    body: TrackerSettingsOverride,
    responses: {
      200: { description: 'the settings', schema: TrackerSettingsLevel },
      ...common,
      ...notHere('vehicle'),
    },
  }),
  deleteVehicleTrackerSettings: endpoint({
    method: 'delete',
    path: '/api/v1/vehicles/:id/tracker-settings',
    summary: 'Remove a vehicle’s override: its phone follows the organization’s settings',
    tag: 'mobile',
    security: 'user',
    roles: ['admin'],
    params: idParams,
    responses: { 204: { description: 'removed (or there was none)' }, ...common, ...notHere('vehicle') },
  }),
  getDeviceSettings: endpoint({
    method: 'get',
    path: '/api/v1/device/settings',
    summary:
      'The tracker settings the phone of the vehicle whose device token is the Bearer applies (vehicle override over organization over defaults)',
    tag: 'mobile',
    security: 'device',
    responses: {
      200: { description: 'the effective settings', schema: DeviceSettings },
      401: error('missing or unknown device token'),
      403: error('device disabled'),
    },
  }),
  registerPushToken: endpoint({
    method: 'post',
    path: '/api/v1/push-tokens',
    summary:
      'Register (or update) this phone’s Expo push token for the signed-in user, with the event types to be notified of and the language of the text',
    tag: 'mobile',
    security: 'user',
    body: PushTokenRegistration,
    responses: { 200: { description: 'registered', schema: PushTokenRegistered }, ...common },
  }),
  unregisterPushToken: endpoint({
    method: 'delete',
    path: '/api/v1/push-tokens',
    summary: 'Stop notifications to this phone (sign-out): the signed-in user’s registration of the token is removed',
    tag: 'mobile',
    security: 'user',
    body: PushTokenUnregistration,
    responses: { 204: { description: 'removed (or was not registered)' }, ...common },
  }),
};
