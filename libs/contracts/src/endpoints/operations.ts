import { endpoint, type ResponseDoc } from '../endpoint';
import { HealthResponse, ReadyResponse } from '../health';

const plain: ResponseDoc = { description: 'Prometheus text format', contentType: 'text/plain' };

export const OPERATIONS_ENDPOINTS = {
  health: endpoint({
    method: 'get',
    path: '/health',
    summary: 'The process is alive',
    tag: 'operations',
    security: 'none',
    responses: { 200: { description: 'alive', schema: HealthResponse } },
  }),
  ready: endpoint({
    method: 'get',
    path: '/ready',
    summary: 'PostgreSQL and Redis answer and the process is not draining',
    tag: 'operations',
    security: 'none',
    responses: {
      200: { description: 'ready', schema: ReadyResponse },
      503: { description: 'not ready, or draining', schema: ReadyResponse },
    },
  }),
  metrics: endpoint({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (not exposed by the gateway)',
    tag: 'operations',
    security: 'none',
    responses: { 200: plain },
  }),
  apiDocs: endpoint({
    method: 'get',
    path: '/api/docs',
    summary: 'This document, browsable',
    tag: 'operations',
    security: 'none',
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
  }),
  openApiDocument: endpoint({
    method: 'get',
    path: '/api/docs/openapi.json',
    summary: 'This document',
    tag: 'operations',
    security: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } },
  }),
};
