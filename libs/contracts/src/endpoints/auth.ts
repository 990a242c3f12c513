import { endpoint, errorResponse as error, commonErrors as common } from '../endpoint';
import { LoginRequest, Me, PasswordChangeRequest, RefreshRequest, TokenResponse } from '../auth';
import { AcceptInvitationRequest, User } from '../users';

export const AUTH_ENDPOINTS = {
  login: endpoint({
    method: 'post',
    path: '/api/v1/auth/login',
    summary:
      'Sign in; the web gets the refresh token as an httpOnly cookie (and the access token as the `fleet_access` ' +
      'cookie, which only GET /api/v1/live accepts), mobile in the body',
    tag: 'auth',
    security: 'none',
    body: LoginRequest,
    responses: {
      200: { description: 'signed in', schema: TokenResponse },
      ...common,
      429: error('too many attempts; see Retry-After'),
    },
  }),
  refreshSession: endpoint({
    method: 'post',
    path: '/api/v1/auth/refresh',
    summary: 'New access token; the refresh token rotates (reuse revokes the sign-in)',
    tag: 'auth',
    security: 'none',
    // No body at all is `{}` (the web's refresh sends only its cookie).
    body: RefreshRequest.prefault({}),
    responses: { 200: { description: 'refreshed', schema: TokenResponse }, ...common },
  }),
  logout: endpoint({
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'Sign out (revokes the refresh token’s sign-in)',
    tag: 'auth',
    security: 'none',
    body: RefreshRequest.prefault({}),
    responses: { 204: { description: 'signed out' } },
  }),
  me: endpoint({
    method: 'get',
    path: '/api/v1/auth/me',
    summary: 'The signed-in user',
    tag: 'auth',
    security: 'user',
    responses: { 200: { description: 'the user', schema: Me }, 401: common[401] },
  }),
  changePassword: endpoint({
    method: 'post',
    path: '/api/v1/auth/password',
    summary: 'Change the password: every session ends (access and refresh tokens); the caller gets a fresh one',
    tag: 'auth',
    security: 'user',
    body: PasswordChangeRequest,
    responses: {
      200: {
        description: 'changed; the new session (web: cookies, mobile: refresh token in the body)',
        schema: TokenResponse,
      },
      ...common,
      403: error('current password is wrong'),
    },
  }),
  acceptInvitation: endpoint({
    method: 'post',
    path: '/api/v1/auth/accept-invitation',
    summary: 'Accept an invitation: set a password, the user is created',
    tag: 'auth',
    security: 'none',
    body: AcceptInvitationRequest,
    responses: {
      201: { description: 'the new user', schema: User },
      400: common[400],
      404: error('invitation not found, used or expired'),
      409: error('the invited email already has an account: sign in with it'),
    },
  }),
};
