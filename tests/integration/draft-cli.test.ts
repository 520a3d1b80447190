import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic, FAKE_ANTHROPIC_API_KEY } from '../support/fake-anthropic.js';
import { specProblemsOf } from '../support/spec-traffic.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
// `npm test` builds first; this runs the compiled CLI exactly as `npm run draft` does.
const cli = join(root, 'dist/src/cli/draft.js');

async function draftCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  // An empty working directory: no .env from the repo can leak in.
  const cwd = mkdtempSync(join(tmpdir(), 'draftgate-cli-'));
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run draft', () => {
  let anthropic: FakeAnthropic;
  beforeEach(async () => {
    anthropic = new FakeAnthropic();
    await anthropic.start();
  });
  afterEach(async () => {
    const specProblems = await specProblemsOf({ anthropic });
    await anthropic.stop();
    expect(specProblems).toEqual([]);
  });

  it('GIVEN only an API key THEN it prints the draft, weighted lengths, validation, sanitiser changes and usage', async () => {
    anthropic.queueOutput({ draft: { kind: 'tweet', text: 'Guaranteed 100x, trust me' } });
    anthropic.queueOutput(
      { draft: { kind: 'tweet', text: '  "Read the token page before you buy: supply, holders, description. 🧐"  ' } },
      { usage: { input_tokens: 812, output_tokens: 41, cache_read_input_tokens: 0 } },
    );
    const result = await draftCli(['--topic', 'safety'], { ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL: anthropic.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Topic: safety (safety)');
    expect(result.stdout).toContain('--- attempt 1: REFUSED');
    expect(result.stdout).toMatch(/✗ .*guaranteed/i);
    expect(result.stdout).toContain('--- attempt 2: valid');
    // 66 characters plus an emoji that weighs 2.
    expect(result.stdout).toContain('[68/280]');
    expect(result.stdout).toMatch(/~ sanitised: .*quote/i);
    expect(result.stdout).toMatch(/Result: VALID/);
    expect(result.stdout).toMatch(/Tokens: input \d+, output \d+/);
    expect(anthropic.messageRequests).toHaveLength(2);
  });

  it('GIVEN no API key THEN it exits 2 naming the variable; GIVEN an unknown topic THEN it lists the known ones', async () => {
    const missing = await draftCli([], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ANTHROPIC_API_KEY is missing');
    const unknown = await draftCli(['--topic', 'lambos'], { ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL: anthropic.url });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown topic "lambos". Known topics: market-insight, launch-tips/);
    expect(anthropic.messageRequests).toHaveLength(0);
  });
});
