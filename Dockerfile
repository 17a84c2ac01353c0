# syntax=docker/dockerfile:1
# pgcarve: the sidecar image. Three stages: `build` compiles TypeScript with every dependency,
# `deps` installs production dependencies only, and the final stage holds node, those
# dependencies, the compiled code and the files read at run time (package.json, mappings/ with
# the migrations and the legacy schema SQL). Nothing in the final stage writes to the image's
# filesystem, so it runs with a read-only root filesystem (the chart mounts an emptyDir on /tmp).
# The development tools (tools/: `npm run demo`, `npm run bench`) are not in the build context
# (.dockerignore) and not compiled (tsconfig.build.json): they need the devDependencies.

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
# .npmrc: legacy-peer-deps, which the lock file was made with.
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: `prepare` would build before the sources are here; nothing else needs a script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY mappings ./mappings
RUN npm run build

FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY mappings ./mappings
COPY bin ./bin
# `pgcarve` on PATH, for `kubectl exec deploy/pgcarve -- pgcarve wait-sync`.
RUN ln -s /app/bin/pgcarve.js /usr/local/bin/pgcarve
# The image's `node` user, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
# All interfaces inside the container (pgcarve alone listens on 127.0.0.1 only).
ENV PGCARVE_HTTP_HOST=0.0.0.0
EXPOSE 9187
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PGCARVE_HTTP_PORT || 9187) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/pgcarve.js"]
CMD ["run"]
