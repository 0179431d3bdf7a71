import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from '../lib/logger';

/** Routes the Temporal SDK's own logs into our one structured logger. */
export function temporalLogger(log: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const target = log.child({ component: 'temporal-sdk' });
    switch (level) {
      case 'TRACE': return target.trace(meta ?? {}, message);
      case 'DEBUG': return target.debug(meta ?? {}, message);
      case 'INFO': return target.info(meta ?? {}, message);
      case 'WARN': return target.warn(meta ?? {}, message);
      case 'ERROR': return target.error(meta ?? {}, message);
    }
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
