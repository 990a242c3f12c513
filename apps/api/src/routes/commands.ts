import { COMMANDS_ENDPOINTS as E } from '@fleet/contracts';
import type { DeviceCommands } from '../commands/commands';
import { EndpointRouter, type Authenticators } from '../http/serve';

export function commandRoutes(deps: { commands: DeviceCommands; auth: Authenticators }) {
  const { commands } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.sendCommand, async ({ params, body }, { caller, scope }) =>
      commands.send(scope, caller.sub, params.id, body),
    )
    .serve(E.listCommands, async ({ params, query }, { scope }) => commands.list(scope, params.id, query)).router;
}
