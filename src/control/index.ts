// The control plane: schema `mooncake` in upstream Postgres (sql/, applied by migrate) and lakegate's
// client for it (registry), plus the logical messages it puts in the CDC stream (messages).
export { migrate, loadMigrations, defaultSqlDir, type Migration, type MigrateOptions, type MigrateResult } from './migrate.js';
export { MirrorRegistry, MIRRORS_CHANNEL, type RegistryOptions, type WatchOptions, type MirrorWatch, type Progress } from './registry.js';
export { parseControlMessage, MESSAGE_PREFIX, type ControlMessage, type TableMessage, type DropTableMessage, type PartitionMessage, type RequestMessage } from './messages.js';
export type { Mirror, MirrorColumn, MirrorPartition, MirrorState, TableConfig } from './mirror.js';
