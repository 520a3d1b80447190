# syntax=docker/dockerfile:1
# draftgate: AI writes, humans approve in Discord, the bot publishes to X.
# Build:  docker build -t draftgate .
# Run:    docker compose up -d   (see docker-compose.yml and the README)

ARG NODE_VERSION=22

# ---------------------------------------------------------------------------- build stage
# Dev dependencies and the native compile of better-sqlite3 live here only.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ormconfig.ts ./
COPY src ./src
COPY commands ./commands
COPY migrations ./migrations
COPY scripts ./scripts
# `npm run build` = tsc, then scripts/bundle.mjs: dist/src/main.js becomes one minified bundle of the
# bot and its pure-JS dependencies. Loading ~1,000 separate modules took most of the start-up, and
# V8 kept every module's source in memory (issue 16, bench/memory.md). The runtime stage still needs
# the production node_modules: native and optional packages (better-sqlite3, @napi-rs/canvas, pg,
# yaml, twitter-text...) stay external, and the healthcheck and CLIs run tsc's output.
RUN npm run build \
 && npm prune --omit=dev

# ---------------------------------------------------------------------------- runtime stage
# Production dependencies (already compiled for this Node ABI) and the compiled app only.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="draftgate" \
      org.opencontainers.image.description="AI writes, humans approve in Discord, the bot publishes to X" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/draftgate/draftgate"
# libjemalloc2: the allocator the app runs with (see LD_PRELOAD below), linked at one path for every arch.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini libjemalloc2 \
 && ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc\.so\.2$')" /usr/local/lib/libjemalloc.so.2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    DATABASE_PATH=/app/data/draftgate.sqlite \
    LOG_DIR=/app/logs \
    LOG_FORMAT=json \
    HEALTH_PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# data/media: the drafts' images (MEDIA_DIR's default); created here so a volume mounted on it is the node user's.
RUN mkdir -p /app/data/media /app/logs && chown node:node /app/data /app/data/media /app/logs
USER node
VOLUME ["/app/data", "/app/logs"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js"]
# tini reaps zombies and forwards SIGTERM, so the graceful shutdown runs on `docker stop`.
ENTRYPOINT ["/usr/bin/tini", "--"]
# jemalloc instead of glibc's malloc. With glibc, memory the bot frees (V8's compiler zones while
# the bundle compiles, undici's and the TLS buffers under traffic) stays resident: freed blocks are
# reused only in place, so the process grew 50-65 MB over 10,000 interactions and never gave it
# back (bench/soak.bench.ts; malloc_trim handed 35 MB back). jemalloc returns freed pages to the
# system a second after (dirty_decay_ms), from its own background thread: growth about 20 MB, the
# same idle RSS. One arena and no thread caches, because the bot's few threads allocate little and
# each arena or cache keeps memory of its own. The benches read these two lines (bench/memory.md).
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
ENV MALLOC_CONF=narenas:1,tcache:false,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0
# A 1 MB young generation instead of 16 MB: about 30 MB less resident memory for a bot that
# allocates little; `npm start` uses the same flag.
CMD ["node", "--max-semi-space-size=1", "dist/src/main.js"]
