# weibo-fanbot: build stage checks the sources with the full dev dependencies and compiles them to JavaScript; the
# runtime stage has production dependencies only and the compiled files, and runs as the non-root `node` user.
# Node runs plain JavaScript, so no TypeScript loader and no type stripping run in production: an idle server holds
# ~25 MiB less than on Node 24's own type stripping (bench/README.md, idle RSS). A bind-mounted handlers/ folder may
# still hold .ts modules (Node 24 strips their types itself) that import '../src/index.ts', as in a checkout: the
# image's src/index.ts re-exports the compiled src/index.js, so they share the server's modules.
FROM node:24.11.1-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.image.json eslint.config.js ./
COPY src ./src
COPY routes ./routes
COPY handlers ./handlers
RUN npm run typecheck && npm run build:image && echo "export * from './index.js'" > image/src/index.ts

FROM node:24.11.1-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# data/ holds the push stream position (WEIBO_PUSH_SINCE_ID_FILE); the node user writes it. Mount a volume there.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force && mkdir -p data && chown node:node data
COPY --from=build /app/image/src ./src
COPY --from=build /app/image/routes ./routes
COPY --from=build /app/image/handlers ./handlers
USER node
EXPOSE 3000
# The slim image has no curl: Node's own fetch checks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1's command (not npm), so SIGTERM reaches the graceful shutdown. The compiled entry: no loader
# and no type stripping (bench/README.md, idle RSS and cold start). --require-app-secret: the image refuses to start
# without WEIBO_APP_SECRET whatever NODE_ENV says (an env file may blank NODE_ENV; it cannot change this command).
# WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES=true is the explicit opt-out.
CMD ["node", "src/main.js", "--require-app-secret"]
