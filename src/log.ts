import { pino, type Logger } from 'pino';

// One process-wide JSON logger; sessions and pipelines take children with their own ids.
// Secrets never reach it: callers log names and counts, not startup packets or passwords.
export const log: Logger = pino({
  // the configured level is applied once configuration is validated (setLogLevel)
  level: 'info',
  base: { svc: 'lakegate' },
  redact: { paths: ['password', '*.password', 'url', '*.url'], censor: '[redacted]' },
});

export function setLogLevel(level: string): void {
  log.level = level;
}

export type { Logger };
