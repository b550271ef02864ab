import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, parseConfig } from './index.ts';

const schema = z.object({ PORT: env.port(3000), HOST: env.host('127.0.0.1'), KAFKA_BROKERS: z.string().min(1) });

describe('configuration from the environment', () => {
  it('applies defaults and coerces numbers', () => {
    expect(parseConfig(schema, { KAFKA_BROKERS: 'k:9092' })).toEqual({
      PORT: 3000,
      HOST: '127.0.0.1',
      KAFKA_BROKERS: 'k:9092',
    });
    expect(parseConfig(schema, { PORT: '8080', KAFKA_BROKERS: 'k:9092' }).PORT).toBe(8080);
  });

  it('names every bad or missing variable', () => {
    const attempt = () => parseConfig(schema, { PORT: 'eighty' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).variables).toEqual(['PORT', 'KAFKA_BROKERS']);
      expect((error as ConfigError).message).toMatch(/PORT: .*\n.*KAFKA_BROKERS: /);
    }
  });
});
