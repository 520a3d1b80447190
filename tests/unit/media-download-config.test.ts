import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const validEnv = (): Record<string, string> => ({
  DISCORD_TOKEN: 'discord-token-value-123456',
  DISCORD_GUILD_ID: '111111111111111111',
  MODERATION_CHANNEL_ID: '222222222222222222',
  ANTHROPIC_API_KEY: 'sk-ant-test-key-abcdef',
  TWITTER_APP_KEY: 'app-key-123456',
  TWITTER_APP_SECRET: 'app-secret-123456',
  TWITTER_ACCESS_TOKEN: 'access-token-123456',
  TWITTER_ACCESS_SECRET: 'access-secret-123456',
});

describe('MEDIA_DOWNLOAD_TIMEOUT', () => {
  it('GIVEN nothing set THEN attachment downloads get 15 s; a duration sets it', () => {
    expect(loadConfig(validEnv()).discord.mediaDownloadTimeoutMs).toBe(15_000);
    expect(loadConfig({ ...validEnv(), MEDIA_DOWNLOAD_TIMEOUT: '1m' }).discord.mediaDownloadTimeoutMs).toBe(60_000);
  });

  it('GIVEN a value that is not a duration, or 0 THEN the error names the variable', () => {
    for (const value of ['soon', '0']) {
      let error: unknown;
      try {
        loadConfig({ ...validEnv(), MEDIA_DOWNLOAD_TIMEOUT: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/MEDIA_DOWNLOAD_TIMEOUT/);
    }
  });
});
