export * from './errors';
export * from './health';
export * from './ingest';
export * from './auth';
export * from './vehicles';
export * from './users';
export * from './live';
