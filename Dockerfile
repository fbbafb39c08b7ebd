# The dockhook agent. Node 24 runs the TypeScript sources directly (type stripping): no build step.
# BASE is an argument so the image can be built where Docker Hub is out of reach, from a local
# stand-in with the same layout (Node 24 and npm on PATH, a POSIX shell).
ARG BASE=node:24-slim
FROM ${BASE}

LABEL org.opencontainers.image.title="dockhook" \
      org.opencontainers.image.description="Deploy hook for Docker hosts: signed deploy tokens, safe pull-and-recreate, webhooks" \
      org.opencontainers.image.licenses="MIT"

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. No install scripts: the runtime
# dependencies need none, and a build should not run code from the registry.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY src/ src/
COPY agent/ agent/

# `docker exec -it <container> cli` as with docker-deploy-api, and `dockhook …` for scripts.
RUN printf '#!/bin/sh\nexec node /app/agent/cli/main.ts "$@"\n' > /usr/local/bin/dockhook \
 && chmod 755 /usr/local/bin/dockhook \
 && ln -s dockhook /usr/local/bin/cli \
 && mkdir -p -m 700 /data

# Runs as root: the agent needs the mounted /var/run/docker.sock, whose group differs per host, and
# access to that socket is root-equivalent anyway.
ENV DATA_DIR=/data IP=0.0.0.0 PORT=3000 NODE_ENV=production
VOLUME /data
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Node is PID 1 and handles SIGTERM itself: it stops taking deploys and lets running ones finish.
CMD ["node", "agent/main.ts"]
