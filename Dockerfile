# The DVCT image: one image, two roles (worker, api) chosen by the command docker-compose.yml gives.
FROM node:24-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source change does not reinstall them. `npm install` rather than
# `npm ci`: it honours the lockfile and tolerates platform-specific optional packages (anvil, swc)
# that a lockfile made on another platform lacks.
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

# The shared data volume (deployment record) is mounted here; the app's own user must write it.
RUN mkdir -p /data && chown node:node /data
USER node

# node runs the service itself as PID 1 (tsx as a loader, no relaying `tsx` parent), so
# `docker stop`'s SIGTERM reaches the process that drains its work.
CMD ["node", "--import", "tsx", "worker/main.ts"]
