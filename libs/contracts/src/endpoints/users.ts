import { endpoint, errorResponse as error, commonErrors as common, idParams } from '../endpoint';
import { Invitation, InvitationRequest, User, UserList, UserListQuery, UserUpdate } from '../users';

export const USERS_ENDPOINTS = {
  listUsers: endpoint({
    method: 'get',
    path: '/api/v1/users',
    summary: 'The organization’s users',
    tag: 'users',
    security: 'user',
    roles: ['admin'],
    query: UserListQuery,
    responses: { 200: { description: 'users', schema: UserList }, 401: common[401] },
  }),
  inviteUser: endpoint({
    method: 'post',
    path: '/api/v1/users/invitations',
    summary: 'Invite someone by email with a role; the token is shown once',
    tag: 'users',
    security: 'user',
    roles: ['admin'],
    body: InvitationRequest,
    responses: {
      201: { description: 'the invitation', schema: Invitation },
      ...common,
      409: error('already a member of this organization (an account elsewhere is not revealed)'),
    },
  }),
  updateUser: endpoint({
    method: 'patch',
    path: '/api/v1/users/:id',
    summary: 'Change a user’s role or name, or disable them (ends their sessions)',
    tag: 'users',
    security: 'user',
    roles: ['admin'],
    params: idParams,
    body: UserUpdate,
    responses: {
      200: { description: 'the user', schema: User },
      ...common,
      404: error('no such user in this organization'),
      409: error('cannot demote or disable yourself'),
    },
  }),
  deleteUser: endpoint({
    method: 'delete',
    path: '/api/v1/users/:id',
    summary: 'Delete a user (not yourself, not the last admin): their sessions and live streams end at once',
    tag: 'users',
    security: 'user',
    roles: ['admin'],
    params: idParams,
    responses: {
      204: { description: 'deleted' },
      401: common[401],
      404: error('no such user in this organization'),
      409: error('cannot delete yourself or the last admin'),
    },
  }),
};
