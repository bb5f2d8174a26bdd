// src/engine: answers mirror queries from DuckDB with Postgres' exact results. See README.md.
export { EngineRouter, type EngineOptions } from './router.js';
export { StaticMirrorSource, parseLsn, type MirrorSource } from './mirror-source.js';
export { mirrorServiceSource } from './mirror-service-source.js';
export type { UpstreamChannel, DescribeResult, QueryResult } from './upstream-channel.js';
export { DirectChannel, type DirectChannelOptions } from './direct-channel.js';
export { lockDown, type LockDownOptions } from './lockdown.js';
export { pgErrorOf } from './errors.js';
