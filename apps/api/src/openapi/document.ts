import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { ENDPOINTS, errorResponse, type Endpoint, type ResponseDoc, type Security } from '@fleet/contracts';

const SECURITY: Record<Security, Array<Record<string, string[]>>> = {
  none: [],
  user: [{ userToken: [] }],
  device: [{ deviceToken: [] }],
  'device-or-user': [{ deviceToken: [] }, { userToken: [] }],
  'basic-device': [{ deviceBasic: [] }],
  'device-identifier': [],
  platform: [{ platformToken: [] }],
};

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate the requests. */
export function buildOpenApiDocument(version: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'userToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'access token from /api/v1/auth/login',
  });
  registry.registerComponent('securitySchemes', 'deviceToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'the vehicle’s device token',
  });
  registry.registerComponent('securitySchemes', 'platformToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'the installation’s PLATFORM_ADMIN_TOKEN',
  });
  registry.registerComponent('securitySchemes', 'deviceBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'any user name, the device token as password',
  });
  for (const [operationId, route] of Object.entries(ENDPOINTS) as Array<[string, Endpoint]>) {
    const responses: Record<number, ResponseDoc> = { ...route.responses };
    if (route.roles && !responses[403]) responses[403] = errorResponse(`needs the role ${route.roles.join(' or ')}`);
    registry.registerPath({
      method: route.method,
      path: route.path.replace(/:(\w+)/g, '{$1}'),
      operationId,
      summary: route.roles ? `${route.summary} (roles: ${route.roles.join(', ')})` : route.summary,
      tags: [route.tag],
      security: SECURITY[route.security],
      request: {
        ...(route.params && { params: route.params }),
        ...(route.query && { query: route.query }),
        ...(route.body && { body: { content: { 'application/json': { schema: route.body } } } }),
        ...(route.bodyContentType && {
          body: { content: { [route.bodyContentType]: { schema: { type: 'string' } } } },
        }),
      },
      responses: Object.fromEntries(
        Object.entries(responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.schema && { content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }),
          },
        ]),
      ),
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Fleet API',
      version,
      description: 'Self-hosted fleet GPS tracking. Errors are `{ error: { code, message, details? }, requestId }`.',
    },
    servers: [{ url: '/' }],
  });
}
