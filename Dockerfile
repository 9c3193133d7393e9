# syntax=docker/dockerfile:1
# bounced: build with dev dependencies, run with production ones only.
#
#   docker build -t bounced .
#   docker run -d --name bounced -p 25:2525 -p 127.0.0.1:8025:8025 -v bounced-data:/data \
#     -e BOUNCED_BOUNCE_DOMAINS=bounces.example.com bounced
#   docker run --rm -v bounced-data:/data bounced migrate        # any command: see --help
#
# test/e2e/package.test.ts runs this file's `deps` RUN line and its ENTRYPOINT/CMD and
# HEALTHCHECK commands outside Docker (CI has no Docker); keep them plain shell.

# Node 26 is the active LTS line; CI runs the tests on it and on Node 22 LTS (the floor). Debian trixie.
ARG NODE_IMAGE=node:26-trixie-slim

# --- production dependencies ------------------------------------------------------------
# better-sqlite3 is native; version 13 ships N-API prebuilds in its package (the toolchain stays
# for an architecture without one). --ignore-scripts skips our own `prepare` (tsc is a dev
# dependency); `npm rebuild` then runs better-sqlite3's own scripts alone.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3

# --- compile TypeScript (dev dependencies; nothing native needed for tsc) ------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
# The dashboard (issue #16): Vite builds web/ into dist/dashboard.
COPY web ./web
RUN npm run build

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# tini as PID 1: forwards SIGTERM to Node and reaps zombies (no need for `docker run --init`).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    BOUNCED_DATA_DIR=/data \
    BOUNCED_SMTP_HOST=0.0.0.0 \
    BOUNCED_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# A directory, not a file: SQLite keeps bounced.db-wal and bounced.db-shm beside the database,
# and the generated verp-secret lives here too. A bind mount must be writable by uid 1000.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
# The image's unprivileged user (uid 1000). Port 25 is the host's: publish -p 25:2525.
USER node
EXPOSE 2525 8025
# No curl in the image: Node asks /readyz (database writable, SMTP bound). 127.0.0.1 works
# while BOUNCED_HTTP_HOST is 0.0.0.0 (the default here) or 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BOUNCED_HTTP_PORT||8025)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: SIGTERM goes to tini, then to Node, which stops within 8 s (Docker waits 10).
STOPSIGNAL SIGTERM
# --max-semi-space-size=4 (MB, both threads; V8's default grows to 16): under a bounce storm
# the young generations of the SMTP thread and the pipeline worker otherwise hold about 60 MB
# more; the same flag as `npm start`, see bench/README.md. dist/bin.js is the installed command:
# `classify` runs its single-file build (half the start-up), anything else dist/cli.js.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=4", "dist/bin.js"]
CMD ["serve"]
