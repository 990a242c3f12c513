import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from './document';
import { API_DOCUMENT_VERSION } from './docs-routes';

/** `nx run api:openapi`: writes docs/openapi.json, which CI compares with what the code generates. */
export const OPENAPI_FILE = path.resolve(__dirname, '../../../../docs/openapi.json');
export const renderOpenApi = () => `${JSON.stringify(buildOpenApiDocument(API_DOCUMENT_VERSION), null, 2)}\n`;

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
}
