import { Router } from 'express';
import { buildOpenApiDocument } from './document';
import { ENDPOINTS } from '@fleet/contracts';

const ROUTES = Object.values(ENDPOINTS);

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** `/api/docs` (a readable page, no scripts) and `/api/docs/openapi.json`. */
export function docsRoutes(): Router {
  const router = Router();
  const document = buildOpenApiDocument(API_DOCUMENT_VERSION);
  const json = JSON.stringify(document, null, 2);
  router.get('/api/docs/openapi.json', (_req, res) => {
    res.type('application/json').send(json);
  });
  router.get('/api/docs', (_req, res) => {
    const tags = [...new Set(ROUTES.map((r) => r.tag))];
    const sections = tags.map((tag) => {
      const rows = ROUTES.filter((r) => r.tag === tag)
        .map(
          (r) =>
            `<tr><td><code>${r.method.toUpperCase()}</code></td><td><code>${escape(r.path)}</code></td><td>${escape(r.summary)}</td><td>${r.security}</td><td>${Object.keys(r.responses).join(', ')}</td></tr>`,
        )
        .join('');
      return `<h2>${escape(tag)}</h2><table><tr><th>method</th><th>path</th><th>what</th><th>credential</th><th>answers</th></tr>${rows}</table>`;
    });
    res
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fleet API</title><style>body{font:14px system-ui;margin:2rem;max-width:75rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}</style></head><body><h1>Fleet API</h1><p>Request and response schemas: <a href="/api/docs/openapi.json">OpenAPI 3.1 document</a> (open it in any OpenAPI viewer).</p>${sections.join('')}</body></html>`,
      );
  });
  return router;
}

/** The document's own version; bump it when the API changes incompatibly. */
export const API_DOCUMENT_VERSION = '1.0.0';
