/**
 * Deployable files generated from the same store definitions used locally. Pure: the
 * command writes what these return, each target into its own folder (`docker/`, `systemd/`,
 * …), because two targets write a `vcash.env` with different values (a container listens on
 * 0.0.0.0 with its data on /data; a systemd service on 127.0.0.1 behind the proxy). Secrets
 * stay placeholders or env references unless the operator asks for them
 * (`--include-secrets`), and then those files are 0600.
 */
import {openApiDocument} from '../server/openapi.js'

export const TARGETS = ['docker', 'systemd', 'nginx', 'env', 'whmcs', 'openapi'] as const
export type Target = (typeof TARGETS)[number]

export interface ExportStore {
  id: string
  name: string
  callback: {kind: string; url?: string; identifier?: string}
  rate: string
  currency_label: string
  require_token: boolean
  allow_ips: string[]
  mode: string
}

export interface ExportSecrets {
  /** store id → WHMCS secret / signing secret, only with --include-secrets. */
  whmcsSecret?: Record<string, string>
  signingSecret?: Record<string, string>
}

export interface ExportInput {
  stores: ExportStore[]
  /** The URL merchants and the WHMCS module use (https://pay.example.com). */
  publicUrl: string
  /** This server's public IP, for WHMCS allow-listing (placeholder when unknown). */
  publicIp: string | null
  port: number
  dataDir: string
  secrets: ExportSecrets | null
  version: string
  /** Node.js binary for the systemd unit. */
  nodePath: string
  /** TLS certificate and key paths for the nginx site. */
  tlsCert: string
  tlsKey: string
  /**
   * Docker: the vcash source checkout the image is built from, relative to the docker/ folder
   * (compose resolves `build.context` from the compose file's folder), and the Dockerfile
   * relative to that checkout.
   */
  dockerContext: string
  dockerfile: string
  /**
   * Docker: `postgres` writes a compose file with PostgreSQL, two vcash instances on it and nginx
   * balancing between them (default `embedded`: one instance, its data dir on a volume).
   */
  database?: 'embedded' | 'postgres'
  /** Docker with PostgreSQL: the database password compose passes to both (kept in docker/.env, 0600). */
  dbPassword?: string
  /** systemd/env: the PostgreSQL URL the service keeps its ledger in (its env file becomes 0600). */
  databaseUrl?: string | null
}

export interface ExportFile {
  /** Relative to the target's own folder. */
  path: string
  content: string
  /** 0600 for files holding secrets. */
  mode?: number
}

const PLACEHOLDER_IP = 'YOUR.SERVER.PUBLIC.IP'

function hostOf(url: string): string {
  try {
    return new URL(url).hostname
  } catch {
    return 'pay.example.com'
  }
}

export function generate(target: Target, input: ExportInput): ExportFile[] {
  switch (target) {
    case 'docker':
      return input.database === 'postgres' ? dockerPostgres(input) : docker(input)
    case 'systemd':
      return systemd(input)
    case 'nginx':
      return nginx(input)
    case 'env':
      return [envFile(input), merchantSecrets(input)]
    case 'whmcs':
      return whmcs(input)
    case 'openapi':
      return [{path: 'openapi.json', content: `${JSON.stringify(openApiDocument(), null, 2)}\n`}]
  }
}

/** The current Node.js LTS for the image (the code itself runs on Node 20.19+). */
export const DOCKER_NODE = '24'

function dockerfile(i: ExportInput): string {
  return `# vcash ${i.version}, built from a vcash source checkout (npm ci from its lockfile).
# Build it with compose.yaml beside this file (its build context is that checkout).
# The full image has python3, make and g++ in case better-sqlite3 has to compile.
FROM node:${DOCKER_NODE}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:${DOCKER_NODE}-bookworm-slim
ENV NODE_ENV=production \\
    VCASH_DATA_DIR=/data \\
    VCASH_HOST=0.0.0.0 \\
    VCASH_PORT=${i.port}
WORKDIR /app
COPY --from=build /app/package.json /app/oclif.manifest.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/node_modules ./node_modules
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE ${i.port}
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \\
  CMD node -e "fetch('http://127.0.0.1:'+process.env.VCASH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM lets vcash finish in-flight requests, flush and release the data dir lock.
STOPSIGNAL SIGTERM
CMD ["node", "bin/run.js", "serve"]
`
}

/** The image's files, the same for one instance or several. */
function dockerImage(i: ExportInput): ExportFile[] {
  return [
    {path: 'Dockerfile', content: dockerfile(i)},
    // BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile, so it applies to the checkout.
    {path: 'Dockerfile.dockerignore', content: 'node_modules\ndist\n.git\n.vcash\n*.log\n'},
  ]
}

function docker(i: ExportInput): ExportFile[] {
  const compose = `# docker compose up -d --build   (run in this folder) — vcash with its data dir on a named volume.
services:
  vcash:
    build:
      # The vcash source checkout, relative to this folder.
      context: ${JSON.stringify(i.dockerContext)}
      dockerfile: ${JSON.stringify(i.dockerfile)}
    restart: unless-stopped
    env_file: vcash.env
    ports:
      - "127.0.0.1:${i.port}:${i.port}"   # put a TLS reverse proxy in front (see ../nginx)
    volumes:
      - vcash-data:/data
    stop_grace_period: 30s

volumes:
  vcash-data:
`
  const [image, ignore] = dockerImage(i)
  return [image!, {path: 'compose.yaml', content: compose}, ignore!, {...envFile({...i, databaseUrl: null}, {host: '0.0.0.0', dataDir: '/data', trustProxy: ''}), path: 'vcash.env'}]
}

/** The compose network's subnet, and nginx's fixed address on it: the one proxy vcash believes. */
const COMPOSE_SUBNET = '172.31.240.0/24'
const COMPOSE_NGINX_IP = '172.31.240.10'
const COMPOSE_INSTANCES = ['vcash-a', 'vcash-b']

/**
 * Several machines' worth in one compose file: PostgreSQL (official image, a volume, a
 * healthcheck), two vcash instances sharing it, nginx in front balancing between them and
 * terminating TLS. The instances are the same service twice (a YAML anchor) so nginx can name
 * each one in its upstream.
 */
function dockerPostgres(i: ExportInput): ExportFile[] {
  const instances = COMPOSE_INSTANCES.map((name) => `  ${name}:
    <<: *vcash
`).join('')
  const compose = `# docker compose up -d --build   (run in this folder) — PostgreSQL, two vcash instances on it,
# nginx in front of both. The database password is in .env beside this file (0600; compose
# reads it). Moving from one machine: vcash db copy (docs/deploy.md, "When you outgrow one machine").
x-vcash: &vcash
  build:
    # The vcash source checkout, relative to this folder.
    context: ${JSON.stringify(i.dockerContext)}
    dockerfile: ${JSON.stringify(i.dockerfile)}
  image: vcash:local
  restart: unless-stopped
  env_file: vcash.env
  environment:
    VCASH_DATABASE_URL: "postgres://vcash:\${VCASH_DB_PASSWORD:?set VCASH_DB_PASSWORD in .env}@postgres:5432/vcash"
  depends_on:
    postgres:
      condition: service_healthy
  networks:
    - vcash
  stop_grace_period: 30s

services:
  postgres:
    image: postgres:17
    restart: unless-stopped
    environment:
      POSTGRES_USER: vcash
      POSTGRES_DB: vcash
      POSTGRES_PASSWORD: "\${VCASH_DB_PASSWORD:?set VCASH_DB_PASSWORD in .env}"
    volumes:
      - vcash-pg:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U vcash -d vcash"]
      interval: 5s
      timeout: 5s
      retries: 12
    networks:
      - vcash
    stop_grace_period: 60s

${instances}
  nginx:
    image: nginx:stable
    restart: unless-stopped
    depends_on:
${COMPOSE_INSTANCES.map((n) => `      ${n}:
        condition: service_healthy
`).join('')}    ports:
      - "80:80"
      - "443:443"
    volumes:
      - ./nginx.conf:/etc/nginx/conf.d/default.conf:ro
      # Your certificate (e.g. from certbot); export with --tls-cert/--tls-key to set the paths.
      - ${i.tlsCert}:/etc/nginx/tls/fullchain.pem:ro
      - ${i.tlsKey}:/etc/nginx/tls/privkey.pem:ro
    networks:
      vcash:
        # vcash believes X-Forwarded-For from this address only (VCASH_TRUST_PROXY in vcash.env).
        ipv4_address: ${COMPOSE_NGINX_IP}

networks:
  vcash:
    ipam:
      config:
        # Change it if it clashes with a network of this host; then change the two addresses above too.
        - subnet: ${COMPOSE_SUBNET}

volumes:
  vcash-pg:
`
  const upstream = `upstream vcash {
${COMPOSE_INSTANCES.map((n) => `    server ${n}:${i.port} max_fails=3 fail_timeout=10s;`).join('\n')}
    keepalive 32;
}

`
  const lb = site(i, {
    header: `# nginx in front of the two vcash instances of compose.yaml: TLS, then either instance.
# A request that fails to connect (an instance restarting) goes to the other; a POST that reached
# one is never sent twice (nginx retries only idempotent methods).
${upstream}`,
    upstream: 'http://vcash',
    tlsCert: '/etc/nginx/tls/fullchain.pem',
    tlsKey: '/etc/nginx/tls/privkey.pem',
    closedNote: `the compose network (${COMPOSE_INSTANCES.map((n) => `${n}:${i.port}/metrics`).join(', ')})`,
    extra: '        proxy_next_upstream error timeout http_502 http_503;\n',
  })
  const password = i.dbPassword ?? 'CHANGE-ME'
  const [image, ignore] = dockerImage(i)
  return [
    image!,
    {path: 'compose.yaml', content: compose},
    ignore!,
    {...envFile({...i, databaseUrl: null}, {host: '0.0.0.0', dataDir: '/data', trustProxy: COMPOSE_NGINX_IP}), path: 'vcash.env'},
    {path: 'nginx.conf', content: lb},
    {path: '.env', content: `# Read by docker compose (this folder): the PostgreSQL password of compose.yaml. Set before the\n# first start; the database keeps the one it was created with.\nVCASH_DB_PASSWORD=${password}\n`, mode: 0o600},
  ]
}

function systemd(i: ExportInput): ExportFile[] {
  const unit = `# /etc/systemd/system/vcash.service — docs/deploy.md has the steps: the code in /opt/vcash,
# a "vcash" system user, settings in /etc/vcash/vcash.env, then:
#   systemctl daemon-reload && systemctl enable --now vcash
[Unit]
Description=vcash — wallet SMS payment verification
Documentation=https://github.com/vcash/vcash
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
# A real system user (not DynamicUser), so the CLI runs as the same user beside the service:
#   sudo -u vcash VCASH_DATA_DIR=/var/lib/vcash vcash store list
User=vcash
Group=vcash
StateDirectory=vcash
StateDirectoryMode=0700
Environment=NODE_ENV=production
Environment=VCASH_DATA_DIR=/var/lib/vcash
EnvironmentFile=-/etc/vcash/vcash.env
WorkingDirectory=/opt/vcash
ExecStart=${i.nodePath} /opt/vcash/bin/run.js serve
# vcash finishes in-flight requests, flushes and releases its lock on SIGTERM.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=2s

# Hardening: vcash needs its state dir, the network and nothing else.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
UMask=0077

[Install]
WantedBy=multi-user.target
`
  return [{path: 'vcash.service', content: unit}, {...envFile(i), path: 'vcash.env'}]
}

function nginx(i: ExportInput): ExportFile[] {
  const content = site(i, {
    header: `# /etc/nginx/sites-available/vcash — TLS in front of vcash on 127.0.0.1:${i.port}.
# vcash believes X-Forwarded-For only from this proxy: set VCASH_TRUST_PROXY=127.0.0.1.
`,
    upstream: `http://127.0.0.1:${i.port}`,
    tlsCert: i.tlsCert,
    tlsKey: i.tlsKey,
    closedNote: `this machine (127.0.0.1:${i.port}/metrics)`,
    extra: '',
  })
  return [{path: 'vcash.nginx.conf', content}]
}

/** The TLS site in front of vcash: one instance (nginx export) or an upstream of several (compose). */
function site(i: ExportInput, o: {header: string; upstream: string; tlsCert: string; tlsKey: string; closedNote: string; extra: string}): string {
  const host = hostOf(i.publicUrl)
  return `${o.header}server {
    listen 80;
    listen [::]:80;
    server_name ${host};
    return 301 https://$host$request_uri;
}

server {
    # "listen … http2" works on every nginx in Debian stable (1.22); newer ones also take "http2 on;".
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name ${host};

    # Your certificate (e.g. from certbot); export with --tls-cert/--tls-key to set the paths.
    ssl_certificate     ${o.tlsCert};
    ssl_certificate_key ${o.tlsKey};
    ssl_protocols TLSv1.2 TLSv1.3;

    client_max_body_size 128k;

    # The admin API is for the vcash CLI on this machine only, and /metrics for a scraper on
    # ${o.closedNote}. Case-insensitive (~*): vcash's routes match
    # /ADMIN/… too, and a regex location wins over "location /".
    location ~* ^/(admin|metrics) {
        return 404;
    }

    location / {
        proxy_pass ${o.upstream};
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Connection "";
        proxy_read_timeout 35s;
${o.extra}    }
}
`
}

function envFile(i: ExportInput, where: {host: string; dataDir: string; trustProxy: string} = {host: '127.0.0.1', dataDir: i.dataDir, trustProxy: '127.0.0.1'}): ExportFile {
  const lines = [
    '# vcash settings. Every setting is also a flag of `vcash serve` (see vcash serve --help).',
    '',
    '# Where the ledger lives (vcash.db and its lock). Back it up with `vcash backup --out FILE`.',
    `VCASH_DATA_DIR=${where.dataDir}`,
    ...(i.databaseUrl ? ['# The ledger on PostgreSQL instead (several instances can share it); holds a password.', `VCASH_DATABASE_URL=${i.databaseUrl}`] : []),
    '# Listen address and port. Keep 127.0.0.1 behind a reverse proxy; 0.0.0.0 in a container.',
    `VCASH_HOST=${where.host}`,
    `VCASH_PORT=${i.port}`,
    '# Reverse proxies whose X-Forwarded-For is trusted (comma-separated IPs/CIDRs). Unset: none.',
    '# In a container, that is the proxy\'s address as the container sees it (e.g. 172.17.0.1).',
    setting('VCASH_TRUST_PROXY', where.trustProxy),
    '# Failed payment_link_check calls allowed per store and caller address per 10 minutes.',
    'VCASH_FAILED_CHECK_LIMIT=60',
    '# 1 = development mode: http://localhost callbacks allowed for every store. Never in production.',
    '#VCASH_DEV=',
    '# Default store for CLI commands when the data dir has several.',
    setting('VCASH_STORE', i.stores.length === 1 ? i.stores[0]!.id : ''),
    '# CLI commands: talk to this server instead of the one owning VCASH_DATA_DIR.',
    '#VCASH_SERVER=',
    '# Used by `vcash store init|set` when not given as flags (WHMCS API credential).',
    '#VCASH_WHMCS_IDENTIFIER=',
    '#VCASH_WHMCS_SECRET=',
    '# The signing key configured in an SMS forwarder app (SMS Gateway for Android, httpSMS).',
    '#VCASH_FORWARDER_SIGNING_KEY=',
    '# Disable colour in CLI output.',
    '#NO_COLOR=1',
    '',
  ]
  return {path: '.env', content: `${lines.join('\n')}`, mode: i.databaseUrl ? 0o600 : undefined}
}

/** An unset setting stays a comment: an empty value is still a value to whatever reads it. */
function setting(key: string, value: string): string {
  return value ? `${key}=${value}` : `#${key}=`
}

/** What the merchant's site needs to verify our callbacks: references unless asked for values. */
function merchantSecrets(i: ExportInput): ExportFile {
  const lines = ['# For your site: the secret that verifies vcash\'s callbacks/webhooks, per store.']
  for (const s of i.stores) {
    const key = `VCASH_SIGNING_SECRET_${s.id.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`
    const value = i.secrets?.signingSecret?.[s.id]
    lines.push(value ? `${key}=${value}` : `# ${key}=  (vcash store show ${s.id} --show-signing-secret)`)
  }
  return {path: 'merchant-secrets.env', content: `${lines.join('\n')}\n`, mode: i.secrets ? 0o600 : undefined}
}

function whmcs(i: ExportInput): ExportFile[] {
  const ip = i.publicIp ?? PLACEHOLDER_IP
  const files: ExportFile[] = []
  for (const s of i.stores) {
    const whmcsSecret = i.secrets?.whmcsSecret?.[s.id]
    const lines = [
      `# WHMCS setup for store "${s.name}" (${s.id})`,
      '',
      '## 1. The VodafoneCash gateway module',
      '- [ ] Download the module release and extract it into your WHMCS root (modules/gateways/).',
      '- [ ] WHMCS Admin → System Settings → Payment Gateways → All Payment Gateways → VodafoneCash: activate.',
      `- [ ] VodafoneCash System URL: \`${i.publicUrl}\``,
      `- [ ] Store ID: \`${s.id}\``,
      '- [ ] Tick "Show on Order Form".',
      '',
      '## 2. The API credential vcash uses to add credit',
      '- [ ] Configuration → Manage API Credentials → Generate New API Credential.',
      '- [ ] Assign an admin user and the **Add/Remove Credit** API role (AddCredit).',
      s.callback.kind === 'whmcs'
        ? `- [x] vcash has it: identifier \`${s.callback.identifier ?? ''}\`, secret ${whmcsSecret ? `\`${whmcsSecret}\`` : 'set in vcash (not shown; `vcash store set --whmcs-secret` to change)'}.`
        : `- [ ] Give it to vcash: \`vcash store set ${s.id} --callback whmcs --whmcs-url https://your-whmcs.example.com --whmcs-identifier ID --whmcs-secret SECRET\``,
      s.callback.kind === 'whmcs' && s.callback.url ? `- WHMCS URL in vcash: \`${s.callback.url}\` (vcash calls \`${s.callback.url}/includes/api.php\`).` : '- WHMCS URL: your WHMCS base URL, no trailing slash.',
      '',
      '## 3. Allow vcash\'s address in WHMCS',
      `- [ ] Settings → Security → **Whitelisted IPs**: add \`${ip}\``,
      `- [ ] Settings → Security → **API IP Access Restriction**: add \`${ip}\``,
      i.publicIp ? '' : '  (Export again with `--public-ip` to fill in this server\'s address.)',
      '',
      '## 4. Amounts and customers',
      `- Rate: 1 ${s.currency_label} = ${s.rate} EGP. The module pre-fills the EGP amount from GET ${i.publicUrl}/api/public/store/${s.id}/rate.`,
      '- The check sends the WHMCS client id as `client_id` (older module releases: as `user_name`); that client receives the credit.',
      '- A retry or replay never credits twice: vcash keeps a ledger of the credits it made.',
      s.allow_ips.length > 0 ? `- payment_link_check accepts calls only from: ${s.allow_ips.join(', ')} — your WHMCS server must be among them.` : '- Optional: restrict checks to your WHMCS server: `vcash store set --allow-ip <WHMCS server IP>`.',
      '',
    ]
    files.push({path: `whmcs-${s.id}.md`, content: lines.filter((l, k, a) => !(l === '' && a[k - 1] === '')).join('\n'), mode: whmcsSecret ? 0o600 : undefined})
  }
  return files
}
