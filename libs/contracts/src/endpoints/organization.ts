import { endpoint, commonErrors as common } from '../endpoint';
import { Organization, OrganizationUpdate } from '../organization';

export const ORGANIZATION_ENDPOINTS = {
  getOrganization: endpoint({
    method: 'get',
    path: '/api/v1/organization',
    summary: 'The caller’s organization, its retention settings and whether the OsmAnd port requires device tokens',
    tag: 'organization',
    security: 'user',
    responses: { 200: { description: 'the organization', schema: Organization }, 401: common[401] },
  }),
  updateOrganization: endpoint({
    method: 'patch',
    path: '/api/v1/organization',
    summary:
      'Rename the organization, set how many days of positions and events are kept (null: all), or require the device token on the OsmAnd port (`osmandTokenRequired`)',
    tag: 'organization',
    security: 'user',
    roles: ['admin'],
    body: OrganizationUpdate,
    responses: {
      200: { description: 'the organization', schema: Organization },
      ...common,
    },
  }),
};
