import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/index.ts';
import { serviceEnvSchema } from './run-service.ts';

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

const intakeValid = {
  DATABASE_URL: 'postgres://intake@db/intake',
  KAFKA_BROKERS: 'kafka:9092',
  PD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  OIDC_ISSUER: 'https://login.example.org/realms/bochum',
  OIDC_AUDIENCE: 'buergerkoffer',
  OIDC_JWKS_URI: 'https://login.example.org/realms/bochum/protocol/openid-connect/certs',
};

/** A service on the bus with its default port (intake's): every rule of the runtime's environment. */
const configSchema = serviceEnvSchema(3101);

describe('the environment of a service on the bus (intake)', () => {
  it('accepts a complete OIDC setup with defaults for the rest', () => {
    expect(parseConfig(configSchema, intakeValid)).toMatchObject({
      PORT: 3101,
      AUTH_MODE: 'oidc',
      RATE_LIMIT_PER_MINUTE: 600,
    });
  });

  it('names every missing or bad variable', () => {
    const error = (() => {
      try {
        return parseConfig(configSchema, { KAFKA_BROKERS: '', PD_MASTER_KEY: 'short', DATABASE_URL: 'mysql://x' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'KAFKA_BROKERS', 'PD_MASTER_KEY']),
    );
  });

  it('asks for the OIDC settings in OIDC mode and for a key directory in local mode', () => {
    const { OIDC_ISSUER: _i, OIDC_JWKS_URI: _j, ...withoutOidc } = intakeValid;
    expect(() => parseConfig(configSchema, withoutOidc)).toThrow(/OIDC_ISSUER[\s\S]*OIDC_JWKS_URI/);
    expect(() => parseConfig(configSchema, { ...intakeValid, AUTH_MODE: 'local' })).toThrow(/AUTH_LOCAL_KEY_DIR/);
  });
});

describe('the event store by configuration', () => {
  const base = { ...withoutKafka };
  it('is PostgreSQL unless EVENT_STORE says otherwise', () => {
    expect(parseConfig(serviceEnvSchema(3105, { usesBus: false }), base).EVENT_STORE).toBe('postgres');
  });

  it('asks for KURRENTDB_URL with EVENT_STORE=kurrentdb, and refuses another store', () => {
    const schema = serviceEnvSchema(3105, { usesBus: false });
    expect(variablesNamed(() => parseConfig(schema, { ...base, EVENT_STORE: 'kurrentdb' }))).toEqual(['KURRENTDB_URL']);
    expect(variablesNamed(() => parseConfig(schema, { ...base, EVENT_STORE: 'mongodb' }))).toEqual(['EVENT_STORE']);
    const config = parseConfig(schema, {
      ...base,
      EVENT_STORE: 'kurrentdb',
      KURRENTDB_URL: 'kurrentdb://kdb:2113?tls=false',
    });
    expect(config).toMatchObject({ EVENT_STORE: 'kurrentdb', KURRENTDB_URL: 'kurrentdb://kdb:2113?tls=false' });
  });
});
