// Public surface of mirroring (see src/table/README.md for the design).
export { startMirrorService, type MirrorService, type MirrorServiceConfig, type MirrorInfo } from './service.js';
export { DEFAULT_MIRROR_OPTIONS, type MirrorServiceOptions } from './options.js';
export type { MirrorRegistry, MirrorRecord, MirrorProgress, MirrorRequest, RequestResult, CatalogEntry, MirrorLifecycle } from './registry.js';
export { MemoryRegistry } from './memory-registry.js';
