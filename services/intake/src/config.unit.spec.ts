import { ConfigError, parseConfig } from '@buergerkoffer/shared/config';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.ts';

const valid = {
  DATABASE_URL: 'postgres://intake@db/intake',
  KAFKA_BROKERS: 'kafka:9092',
  PD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  OIDC_ISSUER: 'https://login.example.org/realms/bochum',
  OIDC_AUDIENCE: 'buergerkoffer',
  OIDC_JWKS_URI: 'https://login.example.org/realms/bochum/protocol/openid-connect/certs',
};

describe('the intake configuration', () => {
  it('accepts a complete OIDC setup with defaults for the rest', () => {
    expect(parseConfig(configSchema, valid)).toMatchObject({
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
    const { OIDC_ISSUER: _i, OIDC_JWKS_URI: _j, ...withoutOidc } = valid;
    expect(() => parseConfig(configSchema, withoutOidc)).toThrow(/OIDC_ISSUER[\s\S]*OIDC_JWKS_URI/);
    expect(() => parseConfig(configSchema, { ...valid, AUTH_MODE: 'local' })).toThrow(/AUTH_LOCAL_KEY_DIR/);
  });
});
