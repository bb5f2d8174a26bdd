// src/route: decides where a SQL string goes — upstream Postgres, the DuckDB engine, or an error.
export { classify, mirrorReferences } from './classify.js';
export type { ClassifyContext, Classification, MirrorReference, RoutedStatement, UpstreamReason } from './classify.js';
export { createMirrorCatalog, effectiveSearchPath, parseSearchPath, DEFAULT_SEARCH_PATH } from './catalog.js';
export type { MirrorCatalog, MirrorRef } from './catalog.js';
export { loadParser, parserReady, parseCache } from './parser.js';
export type { Access, QualifiedName } from './statement.js';
export { oracleCase } from './identifiers.js';
