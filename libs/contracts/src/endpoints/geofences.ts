import { endpoint, errorResponse as error, commonErrors as common, idParams, notHere } from '../endpoint';
import { Geofence, GeofenceInput, GeofenceList, GeofenceListQuery, GeofenceUpdate } from '../geofences';

export const GEOFENCES_ENDPOINTS = {
  listGeofences: endpoint({
    method: 'get',
    path: '/api/v1/geofences',
    summary: 'List the organization’s geofences (optionally those intersecting a bbox)',
    tag: 'geofences',
    security: 'user',
    query: GeofenceListQuery,
    responses: { 200: { description: 'a page of geofences', schema: GeofenceList }, ...common },
  }),
  createGeofence: endpoint({
    method: 'post',
    path: '/api/v1/geofences',
    summary: 'Create a geofence: a GeoJSON polygon (open rings are closed) or a circle (10 m – 100 km)',
    tag: 'geofences',
    security: 'user',
    roles: ['admin', 'operator'],
    body: GeofenceInput,
    responses: {
      201: { description: 'created', schema: Geofence },
      ...common,
    },
  }),
  getGeofence: endpoint({
    method: 'get',
    path: '/api/v1/geofences/:id',
    summary: 'One geofence',
    tag: 'geofences',
    security: 'user',
    params: idParams,
    responses: { 200: { description: 'the geofence', schema: Geofence }, ...common, ...notHere('geofence') },
  }),
  updateGeofence: endpoint({
    method: 'patch',
    path: '/api/v1/geofences/:id',
    summary: 'Change a geofence’s name, attributes or shape',
    tag: 'geofences',
    security: 'user',
    roles: ['admin', 'operator'],
    params: idParams,
    body: GeofenceUpdate,
    responses: {
      200: { description: 'the geofence', schema: Geofence },
      ...common,
      ...notHere('geofence'),
    },
  }),
  deleteGeofence: endpoint({
    method: 'delete',
    path: '/api/v1/geofences/:id',
    summary: 'Delete a geofence; its past events stay, without geofenceId',
    tag: 'geofences',
    security: 'user',
    roles: ['admin', 'operator'],
    params: idParams,
    responses: {
      204: { description: 'deleted' },
      ...common,
      ...notHere('geofence'),
      409: error('a concurrent deletion interfered; retry'),
    },
  }),
};
