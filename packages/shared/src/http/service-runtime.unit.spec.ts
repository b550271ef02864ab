import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/index.ts';
import { serviceEnvSchema } from './service-runtime.ts';

const withoutKafka = {
  DATABASE_URL: 'postgres://casefile@db/buergerkoffer',
  PD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  AUTH_MODE: 'local',
  AUTH_LOCAL_KEY_DIR: '/keys',
};

const variablesNamed = (run: () => unknown): readonly string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.variables;
    throw error;
  }
  return [];
};

describe('the service environment', () => {
  describe('of a service that does not use the bus', () => {
    it('needs no KAFKA_BROKERS', () => {
      const config = parseConfig(serviceEnvSchema(3105, { usesBus: false }), withoutKafka);
      expect(config.PORT).toBe(3105);
      expect(config.KAFKA_BROKERS).toBeUndefined();
    });
  });

  describe('of a service that uses the bus (the default)', () => {
    it('names a missing KAFKA_BROKERS together with every other bad variable', () => {
      for (const schema of [serviceEnvSchema(3102, { usesBus: true }), serviceEnvSchema(3102)]) {
        expect(variablesNamed(() => parseConfig(schema, { ...withoutKafka, PD_MASTER_KEY: 'short' }))).toEqual(
          expect.arrayContaining(['KAFKA_BROKERS', 'PD_MASTER_KEY']),
        );
      }
    });
  });
});
