import {
  EventList,
  Geofence,
  GeofenceList,
  Invitation,
  Me,
  Organization,
  TokenResponse,
  User,
  UserList,
  Vehicle,
  VehicleList,
  VehicleWithToken,
  LatestPositions,
  ShareLinkCreated,
  ShareLinkList,
  StopList,
  SummaryReport,
  TripList,
  Webhook,
  WebhookDeliveryList,
  WebhookTestQueued,
  WebhookList,
  WebhookWithSecret,
  type EventListQuery,
  type GeofenceInput,
  type GeofenceUpdate,
  type InvitationRequest,
  type OrganizationUpdate,
  type UserUpdate,
  type VehicleInput,
  type VehicleUpdate,
  type WebhookInput,
  type WebhookUpdate,
} from '@fleet/contracts';
import { ApiClient, type Query } from './client';
import { z } from 'zod';

/** History as GeoJSON (a FeatureCollection of Points with `ts`, `speedKmh`…); read it with the app's track reader. */
const HistoryGeoJson = z.object({ type: z.literal('FeatureCollection'), features: z.array(z.unknown()) });

const V1 = '/api/v1';
const id = (value: string) => encodeURIComponent(value);

/** A time window, ISO-8601 both ends. */
export interface Period {
  from: string;
  to: string;
}

export type HistoryFormat = 'geojson' | 'gpx' | 'csv';

/** Every endpoint the web and mobile apps use, each answer checked against its schema. */
export class FleetApi extends ApiClient {
  // --- Session -------------------------------------------------------------------------------------
  login(email: string, password: string, client: 'web' | 'mobile' = 'web') {
    return this.request(TokenResponse, `${V1}/auth/login`, {
      method: 'POST',
      body: { email, password, client },
      noRenew: true,
    });
  }
  /** Web: the refresh token travels as an httpOnly cookie; mobile passes it. */
  refresh(refreshToken?: string) {
    return this.request(TokenResponse, `${V1}/auth/refresh`, {
      method: 'POST',
      body: refreshToken ? { refreshToken, client: 'mobile' } : {},
      noRenew: true,
    });
  }
  logout(refreshToken?: string) {
    return this.requestVoid(`${V1}/auth/logout`, {
      method: 'POST',
      body: refreshToken ? { refreshToken } : {},
      noRenew: true,
    });
  }
  me() {
    return this.request(Me, `${V1}/auth/me`);
  }

  // --- Vehicles ------------------------------------------------------------------------------------
  vehicles(query: Query = {}) {
    return this.request(VehicleList, `${V1}/vehicles`, { query });
  }
  /** Every vehicle of the organization, page by page (the API serves at most 500 a page). */
  async allVehicles(): Promise<Vehicle[]> {
    const items: Vehicle[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.vehicles({ limit: 500, offset });
      items.push(...page.items);
      if (items.length >= page.total || page.items.length === 0) return items;
    }
  }
  vehicle(vehicleId: string) {
    return this.request(Vehicle, `${V1}/vehicles/${id(vehicleId)}`);
  }
  createVehicle(input: Partial<VehicleInput> & { name: string }) {
    return this.request(VehicleWithToken, `${V1}/vehicles`, { method: 'POST', body: input });
  }
  updateVehicle(vehicleId: string, patch: VehicleUpdate) {
    return this.request(Vehicle, `${V1}/vehicles/${id(vehicleId)}`, { method: 'PATCH', body: patch });
  }
  deleteVehicle(vehicleId: string) {
    return this.requestVoid(`${V1}/vehicles/${id(vehicleId)}`, { method: 'DELETE' });
  }
  regenerateDeviceToken(vehicleId: string) {
    return this.request(VehicleWithToken, `${V1}/vehicles/${id(vehicleId)}/device-token`, { method: 'POST' });
  }

  // --- Positions and history -----------------------------------------------------------------------
  latest(query: Query = {}) {
    return this.request(LatestPositions, `${V1}/positions/latest`, { query });
  }
  /** History as GeoJSON, simplified by the server to at most `maxPoints` (read it with `readTrack`). */
  history(vehicleId: string, period: Period, options: { maxPoints?: number; simplify?: number } = {}) {
    return this.request(HistoryGeoJson, `${V1}/vehicles/${id(vehicleId)}/history`, {
      query: { ...period, format: 'geojson', ...options },
    });
  }
  exportHistory(vehicleId: string, period: Period, format: Exclude<HistoryFormat, 'geojson'>) {
    return this.download(`${V1}/vehicles/${id(vehicleId)}/history`, { query: { ...period, format } });
  }
  trips(vehicleId: string, period: Period) {
    return this.request(TripList, `${V1}/vehicles/${id(vehicleId)}/trips`, { query: { ...period } });
  }
  stops(vehicleId: string, period: Period) {
    return this.request(StopList, `${V1}/vehicles/${id(vehicleId)}/stops`, { query: { ...period } });
  }
  summary(vehicleId: string, period: Period) {
    return this.request(SummaryReport, `${V1}/vehicles/${id(vehicleId)}/summary`, { query: { ...period } });
  }

  // --- Geofences -----------------------------------------------------------------------------------
  geofences(query: Query = {}) {
    return this.request(GeofenceList, `${V1}/geofences`, { query: { limit: 500, ...query } });
  }
  createGeofence(input: GeofenceInput) {
    return this.request(Geofence, `${V1}/geofences`, { method: 'POST', body: input });
  }
  updateGeofence(geofenceId: string, patch: GeofenceUpdate) {
    return this.request(Geofence, `${V1}/geofences/${id(geofenceId)}`, { method: 'PATCH', body: patch });
  }
  deleteGeofence(geofenceId: string) {
    return this.requestVoid(`${V1}/geofences/${id(geofenceId)}`, { method: 'DELETE' });
  }

  // --- Events --------------------------------------------------------------------------------------
  events(query: Partial<EventListQuery> = {}) {
    return this.request(EventList, `${V1}/events`, { query: query as Query });
  }

  // --- Users ---------------------------------------------------------------------------------------
  users(query: Query = {}) {
    return this.request(UserList, `${V1}/users`, { query });
  }
  inviteUser(input: InvitationRequest) {
    return this.request(Invitation, `${V1}/users/invitations`, { method: 'POST', body: input });
  }
  updateUser(userId: string, patch: UserUpdate) {
    return this.request(User, `${V1}/users/${id(userId)}`, { method: 'PATCH', body: patch });
  }
  /** Deletes a user (admin; not yourself, not the last admin): their sessions end at once. */
  deleteUser(userId: string) {
    return this.requestVoid(`${V1}/users/${id(userId)}`, { method: 'DELETE' });
  }

  // --- Webhooks ------------------------------------------------------------------------------------
  webhooks() {
    return this.request(WebhookList, `${V1}/webhooks`, { query: { limit: 100 } });
  }
  createWebhook(input: WebhookInput) {
    return this.request(WebhookWithSecret, `${V1}/webhooks`, { method: 'POST', body: input });
  }
  updateWebhook(webhookId: string, patch: WebhookUpdate) {
    return this.request(Webhook, `${V1}/webhooks/${id(webhookId)}`, { method: 'PATCH', body: patch });
  }
  deleteWebhook(webhookId: string) {
    return this.requestVoid(`${V1}/webhooks/${id(webhookId)}`, { method: 'DELETE' });
  }
  rotateWebhookSecret(webhookId: string) {
    return this.request(WebhookWithSecret, `${V1}/webhooks/${id(webhookId)}/rotate-secret`, { method: 'POST' });
  }
  webhookDeliveries(webhookId: string) {
    return this.request(WebhookDeliveryList, `${V1}/webhooks/${id(webhookId)}/deliveries`, { query: { limit: 20 } });
  } /** Queues a signed test ping; its outcome shows in the deliveries. */
  testWebhook(webhookId: string) {
    return this.request(WebhookTestQueued, `${V1}/webhooks/${id(webhookId)}/test`, { method: 'POST' });
  }

  // --- Share links ---------------------------------------------------------------------------------
  shareLinks(vehicleId: string) {
    return this.request(ShareLinkList, `${V1}/vehicles/${id(vehicleId)}/share-links`);
  }
  /** A public link to the vehicle's live position; the token is in the answer this once. */
  createShareLink(vehicleId: string, input: { name?: string; expiresInMinutes: number }) {
    return this.request(ShareLinkCreated, `${V1}/vehicles/${id(vehicleId)}/share-links`, {
      method: 'POST',
      body: input,
    });
  }
  revokeShareLink(linkId: string) {
    return this.requestVoid(`${V1}/share-links/${id(linkId)}`, { method: 'DELETE' });
  }

  // --- Organization --------------------------------------------------------------------------------
  organization() {
    return this.request(Organization, `${V1}/organization`);
  }
  updateOrganization(patch: OrganizationUpdate) {
    return this.request(Organization, `${V1}/organization`, { method: 'PATCH', body: patch });
  }
}
