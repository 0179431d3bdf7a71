import { pino, type Logger } from 'pino';

/**
 * The one structured logger: JSON lines on stdout. Anything that could hold a secret is redacted
 * by path, so a careless `log.info({ req })` cannot leak a key.
 */
export type { Logger };

export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        '*.headers.authorization',
        'apiKey',
        '*.apiKey',
        'signerKey',
        '*.signerKey',
        'privateKey',
        '*.privateKey',
        'webhookSecret',
        '*.webhookSecret',
        'operatorKey',
        '*.operatorKey',
      ],
      censor: '[redacted]',
    },
  });
}
