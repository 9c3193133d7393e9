# syntax=docker/dockerfile:1
# bounced: build with dev dependencies, run with production ones only.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    BOUNCED_DATA_DIR=/data \
    BOUNCED_SMTP_HOST=0.0.0.0 \
    BOUNCED_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# A directory, not a file: SQLite keeps its -wal and -shm files beside the database.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 2525 8025
# No curl in the image: Node itself asks /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BOUNCED_HTTP_PORT||8025)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form so SIGTERM reaches Node; run with `docker run --init` (tini) to reap children.
CMD ["node", "dist/cli.js", "serve"]
