import { endpoint, errorResponse as error, commonErrors as common, idParams } from '../endpoint';
import { VehicleGroup, VehicleGroupInput, VehicleGroupList, VehicleGroupUpdate } from '../groups';

/**
 * Vehicle groups. Everyone reads the groups their scope allows (a user limited to groups: those and
 * every group below them); admins, who always see the whole organization, write.
 */
export const GROUPS_ENDPOINTS = {
  listGroups: endpoint({
    method: 'get',
    path: '/api/v1/groups',
    summary: 'The vehicle groups the caller may see, flat in tree order with `parentId` and `depth`',
    tag: 'groups',
    security: 'user',
    responses: { 200: { description: 'the groups', schema: VehicleGroupList }, ...common },
  }),
  createGroup: endpoint({
    method: 'post',
    path: '/api/v1/groups',
    summary: 'Create a vehicle group, at the top or under another (admin)',
    tag: 'groups',
    security: 'user',
    roles: ['admin'],
    body: VehicleGroupInput,
    responses: {
      201: { description: 'created', schema: VehicleGroup },
      ...common,
      409: error('a sibling group already has this name (case-insensitive), or the organization has too many groups'),
    },
  }),
  getGroup: endpoint({
    method: 'get',
    path: '/api/v1/groups/:id',
    summary: 'One vehicle group',
    tag: 'groups',
    security: 'user',
    params: idParams,
    responses: {
      200: { description: 'the group', schema: VehicleGroup },
      ...common,
      404: error('no such group the caller may see'),
    },
  }),
  updateGroup: endpoint({
    method: 'patch',
    path: '/api/v1/groups/:id',
    summary: 'Rename a vehicle group or move it under another (null: to the top) (admin)',
    tag: 'groups',
    security: 'user',
    roles: ['admin'],
    params: idParams,
    body: VehicleGroupUpdate,
    responses: {
      200: { description: 'the group', schema: VehicleGroup },
      ...common,
      404: error('no such group in this organization'),
      409: error('a sibling group already has this name, or the move would put the group below itself'),
    },
  }),
  deleteGroup: endpoint({
    method: 'delete',
    path: '/api/v1/groups/:id',
    summary: 'Delete an empty vehicle group (admin)',
    tag: 'groups',
    security: 'user',
    roles: ['admin'],
    params: idParams,
    responses: {
      204: { description: 'deleted' },
      ...common,
      404: error('no such group in this organization'),
      409: error(
        'the group still has subgroups, vehicles or users limited to it: `details` names each (paths `subgroups`, `vehicles`, `users`) with its count',
      ),
    },
  }),
};
