# syntax=docker/dockerfile:1
# imgpipe in a container: one image for every command (receive, analyze, alert, web, run, db, ...).
#   docker build -t imgpipe .
#   docker run --rm -v imgpipe-data:/data imgpipe run          # the embedded defaults, kept in the /data volume
#   docker compose up                                          # the whole stack: see compose.yaml
ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies, with the native modules (better-sqlite3 from source when no prebuilt binary fits;
# sharp's prebuilt libvips comes from npm). Scripts are off during `npm ci` because the package's own
# `prepare` would run tsc, a dev dependency; the native modules' install scripts run in `npm rebuild`.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm rebuild better-sqlite3 sharp \
  && npm cache clean --force

# The TypeScript build: dev dependencies are needed here only, and none of their native parts.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs ./scripts/
COPY src ./src
# The viewer's CSS, JS and SVG are files beside the sources that tsc does not emit.
RUN npx tsc -p tsconfig.build.json && node scripts/copy-assets.mjs dist

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    IMGPIPE_DATABASE_URL=sqlite:/data/imgpipe.db \
    IMGPIPE_OBJECT_STORE_URL=file:/data/objects \
    IMGPIPE_METRICS_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE README.md ./
RUN chmod 0755 dist/cli/main.js \
  && ln -s /app/dist/cli/main.js /usr/local/bin/imgpipe \
  && mkdir -p /data \
  && chown node:node /data
# The official Node images' unprivileged user (uid 1000).
USER node
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8000 9464
ENTRYPOINT ["imgpipe"]
CMD ["--help"]
