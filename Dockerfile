# One image per service: docker build --build-arg SERVICE=intake -t buergerkoffer/intake .
# Node 24 runs the TypeScript sources directly (type stripping): no build step.
FROM node:24-slim AS base
ARG PNPM_VERSION=12.4.2
RUN npm install -g pnpm@${PNPM_VERSION}
WORKDIR /app

FROM base AS deps
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY services/intake/package.json services/intake/
COPY services/eligibility/package.json services/eligibility/
COPY services/scheduling/package.json services/scheduling/
COPY services/fieldkit/package.json services/fieldkit/
COPY services/casefile/package.json services/casefile/
COPY apps/embedded/package.json apps/embedded/
COPY apps/cli/package.json apps/cli/
RUN pnpm install --frozen-lockfile --prod

FROM base
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE}
COPY --from=deps /app /app
COPY packages/shared/src packages/shared/src
COPY services/${SERVICE}/src services/${SERVICE}/src
USER node
CMD ["sh", "-c", "exec node services/${SERVICE}/src/main.ts"]
