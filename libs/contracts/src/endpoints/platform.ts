import { endpoint, errorResponse as error } from '../endpoint';
import { OrganizationCreate, OrganizationCreated, PlatformOrganizationList } from '../organization';

const guarded = {
  401: error('the platform administrator token (PLATFORM_ADMIN_TOKEN) is missing or wrong'),
  404: error('platform administration is disabled (no PLATFORM_ADMIN_TOKEN configured)'),
};

export const PLATFORM_ENDPOINTS = {
  listOrganizations: endpoint({
    method: 'get',
    path: '/api/v1/platform/organizations',
    summary: 'Every organization of this installation, with its numbers of users and vehicles (platform admin)',
    tag: 'platform',
    security: 'platform',
    responses: { 200: { description: 'the organizations', schema: PlatformOrganizationList }, ...guarded },
  }),
  createOrganization: endpoint({
    method: 'post',
    path: '/api/v1/platform/organizations',
    summary:
      'Create an organization and its first admin; without `adminPassword` one is generated and shown once (platform admin)',
    tag: 'platform',
    security: 'platform',
    body: OrganizationCreate,
    responses: {
      201: { description: 'the organization and its admin', schema: OrganizationCreated },
      400: error('invalid request; `details` names each problem'),
      ...guarded,
      409: error('the admin email already has an account, or the chosen slug is taken'),
    },
  }),
};
