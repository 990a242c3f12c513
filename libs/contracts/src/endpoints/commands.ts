import { endpoint, errorResponse as error, commonErrors as common, idParams } from '../endpoint';
import { CommandInput, CommandList, CommandListQuery, DeviceCommand } from '../commands';

export const COMMANDS_ENDPOINTS = {
  sendCommand: endpoint({
    method: 'post',
    path: '/api/v1/vehicles/:id/commands',
    summary:
      'Queue a text command for the vehicle’s hardware tracker (Teltonika Codec 12, GT06, H02) while it is ' +
      'connected; the tracker gateway sends it at once, and a command not sent before `expiresAt` is never sent ' +
      '(admin, operator)',
    tag: 'commands',
    security: 'user',
    roles: ['admin', 'operator'],
    params: idParams,
    body: CommandInput,
    responses: {
      202: { description: 'queued; follow it in the list', schema: DeviceCommand },
      ...common,
      404: error('no such vehicle in this organization'),
      409: error(
        'nothing was queued: the vehicle’s device is not connected to the tracker gateway, or 20 commands already wait for it',
      ),
    },
  }),
  listCommands: endpoint({
    method: 'get',
    path: '/api/v1/vehicles/:id/commands',
    summary: 'The vehicle’s commands, newest first, with their status and the device’s answers',
    tag: 'commands',
    security: 'user',
    params: idParams,
    query: CommandListQuery,
    responses: {
      200: { description: 'a page of commands', schema: CommandList },
      ...common,
      404: error('no such vehicle in this organization'),
    },
  }),
};
