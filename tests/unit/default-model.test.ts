import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANTHROPIC_MODEL } from '../../src/config/schema.js';

// The SDK's package "exports" hide internal/, so both files are read from the installed package
// directory: the test follows whatever SDK version is installed, with no copy of its lists here.
const sdkRoot = dirname(createRequire(import.meta.url).resolve('@anthropic-ai/sdk'));

/** The literal ids of the SDK's `Model` union (it also admits any string, which is ignored). */
function sdkModelIds(): string[] {
  const declarations = readFileSync(join(sdkRoot, 'resources', 'messages', 'messages.d.ts'), 'utf8');
  const union = /export type Model =([^;]+);/.exec(declarations)?.[1] ?? '';
  return [...union.matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
}

async function sdkDeprecatedModels(): Promise<Record<string, string>> {
  const url = pathToFileURL(join(sdkRoot, 'internal', 'data', 'deprecated-models.mjs')).href;
  const module = (await import(url)) as { DEPRECATED_MODELS: Record<string, string> };
  return module.DEPRECATED_MODELS;
}

describe('DEFAULT_ANTHROPIC_MODEL', () => {
  it('GIVEN the installed SDK THEN the default model is one of the ids of its Model type', () => {
    const ids = sdkModelIds();
    expect(ids.length).toBeGreaterThan(5);
    expect(ids).toContain(DEFAULT_ANTHROPIC_MODEL);
  });

  it('GIVEN the installed SDK THEN the default model is not in its deprecated-models table', async () => {
    const deprecated = await sdkDeprecatedModels();
    expect(Object.keys(deprecated).length).toBeGreaterThan(0);
    expect(Object.keys(deprecated)).not.toContain(DEFAULT_ANTHROPIC_MODEL);
  });
});
