#!/usr/bin/env bash
# Checks the operator-facing deploy/ tree without a cluster, a container runtime or a Grafana:
#   1. promtool: the Prometheus configs, the alert rules and their unit tests (alerts.test.yml);
#   2. every YAML and JSON file in deploy/ parses; every metric that an alert, recording rule or
#      dashboard query names is one the code exports; every dashboard query is valid PromQL;
#      compose, Kubernetes and Prometheus files agree with each other and with the code's ports;
#   3. the Kubernetes manifests against the Kubernetes API's schemas and types (kubernetes-models,
#      fetched from npm into a cache outside the repository on first use), and `kubectl kustomize`;
#   4. the compose file with `docker compose config` (or docker-compose v1).
# Steps 3 and 4 are skipped, saying so, where their tools cannot be had. `make deploy-check` and
# .ci/run call this; promtool comes from Debian's `prometheus` package.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n--> %s\n' "$*"; }
skip() { printf 'SKIPPED: %s\n' "$*"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step "promtool: configs, rules, rule unit tests"
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: install Debian's prometheus package (apt-get install prometheus)" >&2
  exit 1
fi
promtool --version 2>&1 | head -n 1
promtool check config deploy/prometheus/prometheus.yml
promtool check config deploy/prometheus/prometheus.compose.yml
# Debian builds Prometheus without Kubernetes service discovery: its promtool refuses
# kubernetes_sd_configs as an unknown field. There the file is checked with that block replaced
# by a static target (step 2 writes that copy), which still checks everything else in it.
if ! promtool check config deploy/prometheus/prometheus.kubernetes.yml >"$work/k8s-config.log" 2>&1; then
  if grep -q 'field kubernetes_sd_configs not found' "$work/k8s-config.log"; then
    echo "this promtool has no Kubernetes discovery: prometheus.kubernetes.yml is checked below without it"
    k8s_prometheus_fallback=1
  else
    cat "$work/k8s-config.log" >&2
    exit 1
  fi
else
  cat "$work/k8s-config.log"
  k8s_prometheus_fallback=0
fi
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)

step "files parse; metric names exist in the code; compose, Kubernetes and Prometheus agree"
if [ ! -d node_modules/js-yaml ]; then
  echo "node_modules/js-yaml is missing: run npm ci first" >&2
  exit 1
fi
node --input-type=module - "$work" <<'NODE'
// Cross-checks of deploy/: reads the files, the code's metric definitions and port table, and
// prints every problem before failing.
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
const yaml = require('js-yaml');
const work = process.argv[2];
const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

function walk(directory, keep) {
  const files = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) files.push(...walk(path, keep));
    else if (keep(path)) files.push(path);
  }
  return files.sort();
}

// 1. Every YAML and JSON file of deploy/ parses (all documents of multi-document files).
const parsed = new Map();
for (const file of walk('deploy', (path) => /\.(ya?ml|json)$/.test(path))) {
  try {
    const text = readFileSync(file, 'utf8');
    parsed.set(file, file.endsWith('.json') ? [JSON.parse(text)] : yaml.loadAll(text));
  } catch (error) {
    problem(file, `does not parse: ${error.message.split('\n')[0]}`);
  }
}
console.log(`${parsed.size} YAML/JSON files parse`);
const one = (file) => parsed.get(file)?.[0] ?? {};

// 2. The metric names the code exports.
const known = new Set(['up']);
for (const file of walk('services', (path) => /\/src\/.*\.ts$/.test(path)).concat(
  walk('clients', (path) => /\/src\/.*\.ts$/.test(path)),
)) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/['"`](clearmesh_[a-z0-9_]+)['"`]/g)) known.add(match[1]);
  // rpc-metrics.ts names its series `${prefix}_…` with prefix grpc_server or grpc_client.
  if (/const prefix = `grpc_\$\{side\}`/.test(text)) {
    for (const match of text.matchAll(/`\$\{prefix\}_([a-z_]+)`/g)) {
      known.add(`grpc_server_${match[1]}`);
      known.add(`grpc_client_${match[1]}`);
    }
  }
}
// prom-client's default metrics (collectDefaultMetrics in services/mesh/src/metrics-server.ts).
const promClientMetrics = join(dirname(require.resolve('prom-client/package.json')), 'lib/metrics');
for (const file of walk(promClientMetrics, (path) => path.endsWith('.js'))) {
  for (const match of readFileSync(file, 'utf8').matchAll(/'((?:process|nodejs)_[a-z0-9_]+)'/g)) {
    known.add(match[1]);
  }
}
const rules = one('deploy/prometheus/alerts.yml');
const ruleList = (rules.groups ?? []).flatMap((group) => group.rules ?? []);
for (const rule of ruleList) if (rule.record !== undefined) known.add(rule.record);
for (const required of ['grpc_server_handled_total', 'grpc_client_handled_total', 'clearmesh_payments_total']) {
  if (!known.has(required)) problem('metric scan', `found no ${required} in the code: the scan is broken`);
}

// Metric names in a PromQL expression: string literals removed, then names with our prefixes
// (label names such as grpc_method have none of them) and `up` before a selector.
function metricNames(expression) {
  const bare = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = new Set();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    if (/^(grpc_(server|client)_|clearmesh_|clearmesh:|process_|nodejs_)/.test(name)) names.add(name);
    if (name === 'up' && /^\s*\{/.test(bare.slice(match.index + 2))) names.add(name);
  }
  return names;
}
function checkNames(where, expression) {
  for (const name of metricNames(expression)) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    if (!known.has(name) && !known.has(base)) problem(where, `${name} is not a metric the code exports`);
  }
}
let expressions = 0;
for (const rule of ruleList) {
  checkNames(`alerts.yml ${rule.alert ?? rule.record}`, rule.expr);
  expressions += 1;
  if (rule.alert !== undefined) {
    for (const key of ['summary', 'description', 'runbook']) {
      if (!rule.annotations?.[key]) problem(`alerts.yml ${rule.alert}`, `no ${key} annotation`);
    }
    if (!['critical', 'warning'].includes(rule.labels?.severity)) {
      problem(`alerts.yml ${rule.alert}`, 'severity is neither critical nor warning');
    }
  }
}

// 3. The dashboard: unique panel ids, data source through the variable, metric names, and each
// query as valid PromQL (written out as recording rules for promtool, variables filled in).
const dashboard = one('deploy/grafana/clearmesh-mesh.json');
const ids = new Set();
const queryRules = [];
for (const panel of dashboard.panels ?? []) {
  if (ids.has(panel.id)) problem(`dashboard panel ${panel.title}`, `duplicate id ${panel.id}`);
  ids.add(panel.id);
  if (panel.type === 'row') continue;
  if (panel.datasource?.uid !== '${datasource}') problem(`dashboard panel ${panel.title}`, 'data source is not ${datasource}');
  const { x, w } = panel.gridPos ?? {};
  if (!(x >= 0 && w > 0 && x + w <= 24)) problem(`dashboard panel ${panel.title}`, 'gridPos outside the 24 columns');
  for (const target of panel.targets ?? []) {
    checkNames(`dashboard panel ${panel.title}`, target.expr);
    expressions += 1;
    queryRules.push({
      record: `dashboard:query:${queryRules.length}`,
      expr: target.expr
        .replaceAll('$__rate_interval', '5m')
        .replaceAll('$service', '.*')
        .replaceAll('$method', '.*'),
    });
  }
}
for (const variable of dashboard.templating?.list ?? []) {
  if (variable.type !== 'query') continue;
  const query = variable.query?.query ?? variable.query;
  const inner = /^label_values\((.*),\s*[a-z_]+\)$/.exec(query)?.[1];
  if (inner === undefined) problem(`dashboard variable ${variable.name}`, `unexpected query ${query}`);
  else checkNames(`dashboard variable ${variable.name}`, inner);
}
writeFileSync(join(work, 'dashboard-queries.rules.yml'), JSON.stringify({ groups: [{ name: 'dashboard', rules: queryRules }] }));
console.log(`${expressions} PromQL expressions name only metrics the code exports (${known.size} known)`);

// 4. Ports: the code's defaults, the Prometheus targets, compose and Kubernetes agree.
const topology = readFileSync('services/mesh/src/topology.ts', 'utf8');
const defaults = {};
for (const match of topology.matchAll(/(\w+): \{ address: '127\.0\.0\.1:(\d+)', metricsAddress: '127\.0\.0\.1:(\d+)'/g)) {
  defaults[match[1]] = { port: Number(match[2]), metricsPort: Number(match[3]) };
}
const processNames = ['account', 'ledger', 'payment', 'gateway'];
for (const name of processNames) if (defaults[name] === undefined) problem('topology.ts', `no default ports for ${name}`);

function scrapeTargets(file) {
  const job = (one(file).scrape_configs ?? []).find((config) => config.job_name === 'clearmesh');
  if (job === undefined) problem(file, 'no clearmesh job');
  if (job?.honor_labels !== true) problem(file, 'the clearmesh job must honor the processes\' own service label');
  const targets = {};
  for (const group of job?.static_configs ?? []) {
    for (const target of group.targets) targets[group.labels?.service] = target;
  }
  return targets;
}
const localTargets = scrapeTargets('deploy/prometheus/prometheus.yml');
for (const name of processNames) {
  if (localTargets[name] !== `127.0.0.1:${defaults[name]?.metricsPort}`) {
    problem('prometheus.yml', `${name} is scraped at ${localTargets[name]}, its metrics listen on 127.0.0.1:${defaults[name]?.metricsPort}`);
  }
}

const port = (address) => Number(/:(\d+)$/.exec(String(address))?.[1]);
const host = (address) => String(address).replace(/:\d+$/, '');

// compose: listen ports as in the code, targets naming real services on their ports, probes on
// the right port and identity, mounts that exist.
const composeFile = 'deploy/compose/compose.yaml';
const compose = one(composeFile);
const services = compose.services ?? {};
const composeTargets = scrapeTargets('deploy/prometheus/prometheus.compose.yml');
const composeListen = {};
for (const name of processNames) {
  const service = services[name];
  if (service === undefined) { problem(composeFile, `no ${name} service`); continue; }
  const env = service.environment ?? {};
  const prefix = name.toUpperCase();
  composeListen[name] = port(env[`${prefix}_ADDR`]);
  if (composeListen[name] !== defaults[name]?.port) problem(composeFile, `${name} listens on ${env[`${prefix}_ADDR`]}, not its default port`);
  if (port(env[`${prefix}_METRICS_ADDR`]) !== defaults[name]?.metricsPort) problem(composeFile, `${name} metrics on ${env[`${prefix}_METRICS_ADDR`]}`);
  if (composeTargets[name] !== `${name}:${defaults[name]?.metricsPort}`) problem('prometheus.compose.yml', `${name} is scraped at ${composeTargets[name]}`);
  const probe = service.healthcheck?.test ?? [];
  if (probe.includes('grpc-health-probe')) {
    if (Number(probe[probe.indexOf('grpc-health-probe') + 1]) !== composeListen[name]) problem(composeFile, `${name} health check probes another port`);
    if (env.PROBE_IDENTITY !== name) problem(composeFile, `${name} probes as ${env.PROBE_IDENTITY}`);
  }
  if (!Array.isArray(service.command) || !service.command.includes(`services/${name}/src/main.ts`)) problem(composeFile, `${name} does not run services/${name}/src/main.ts`);
  const stopGraceMs = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]) * 1000;
  if (!(stopGraceMs >= Number(env.DRAIN_GRACE_MS) + 5_000)) problem(composeFile, `${name}: stop_grace_period ${service.stop_grace_period} does not cover DRAIN_GRACE_MS ${env.DRAIN_GRACE_MS} ms + 5 s`);
}
for (const [name, service] of Object.entries(services)) {
  const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
  for (const dependency of dependencies) {
    if (services[dependency] === undefined) problem(composeFile, `${name} depends on unknown ${dependency}`);
  }
  const env = service.environment ?? {};
  const dialled = Object.entries(env).filter(([key]) => /^(ACCOUNT|LEDGER|PAYMENT)_TARGET$/.test(key) || (name === 'gateway' && /^(ACCOUNT|PAYMENT)_ADDR$/.test(key)));
  for (const [key, value] of dialled) {
    const callee = key.split('_')[0].toLowerCase();
    if (host(value) !== callee || port(value) !== composeListen[callee]) problem(composeFile, `${name}: ${key}=${value}, but ${callee} listens on port ${composeListen[callee]}`);
  }
  for (const volume of service.volumes ?? []) {
    const source = String(volume).split(':')[0];
    if (source.startsWith('.') && !existsSync(resolve('deploy/compose', source))) problem(composeFile, `${name} mounts ${source}, which does not exist`);
  }
  if (service.build !== undefined) {
    const context = resolve('deploy/compose', service.build.context);
    if (!existsSync(join(context, service.build.dockerfile))) problem(composeFile, `${name} builds from a missing ${service.build.dockerfile}`);
  }
}

// Kubernetes: the kustomization lists every manifest; selectors, ports, probes, secrets and the
// drain grace agree.
const k8sDirectory = 'deploy/kubernetes';
const kustomization = one(join(k8sDirectory, 'kustomization.yaml'));
const listed = new Set(kustomization.resources ?? []);
for (const file of readdirSync(k8sDirectory).filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')) {
  if (!listed.has(file)) problem(k8sDirectory, `${file} is not in kustomization.yaml`);
}
const objects = [...listed].flatMap((file) => (parsed.get(join(k8sDirectory, file)) ?? []).filter(Boolean).map((object) => ({ file, object })));
writeFileSync(join(work, 'kubernetes-objects.json'), JSON.stringify(objects));
const ofKind = (kind) => objects.filter(({ object }) => object.kind === kind).map(({ object }) => object);
const configMap = ofKind('ConfigMap').find((object) => object.metadata.name === 'clearmesh-config')?.data ?? {};
const drainGraceMs = Number(configMap.DRAIN_GRACE_MS);
if (!(drainGraceMs > 0)) problem('config.yaml', 'no DRAIN_GRACE_MS');
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
const deployments = ofKind('Deployment');
const servicePorts = {};
for (const service of ofKind('Service')) {
  const backing = deployments.filter((deployment) => matches(service.spec.selector, deployment.spec.template.metadata.labels));
  if (backing.length !== 1) problem(`Service ${service.metadata.name}`, `selects ${backing.length} Deployments`);
  for (const servicePort of service.spec.ports) {
    const containerPorts = backing.flatMap((deployment) => deployment.spec.template.spec.containers.flatMap((container) => container.ports ?? []));
    const target = containerPorts.find((containerPort) => containerPort.name === servicePort.targetPort || containerPort.containerPort === servicePort.targetPort);
    if (target === undefined) problem(`Service ${service.metadata.name}`, `targetPort ${servicePort.targetPort} is no container port`);
    servicePorts[service.metadata.name] = servicePort.port;
  }
}
for (const deployment of deployments) {
  const name = deployment.metadata.name;
  const where = `Deployment ${name}`;
  const template = deployment.spec.template;
  if (!matches(deployment.spec.selector.matchLabels, template.metadata.labels)) problem(where, 'selector does not match its pods');
  if (template.metadata.labels['app.kubernetes.io/part-of'] !== 'clearmesh') problem(where, 'pods lack app.kubernetes.io/part-of=clearmesh (Prometheus keeps only those)');
  const container = template.spec.containers[0];
  const env = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value]));
  if (Object.keys(env).length !== (container.env ?? []).length) problem(where, 'sets an environment variable twice');
  const ports = Object.fromEntries((container.ports ?? []).map((containerPort) => [containerPort.name, containerPort.containerPort]));
  const prefix = name.toUpperCase();
  const servingPort = ports.grpc ?? ports.https;
  if (servingPort !== defaults[name]?.port || port(env[`${prefix}_ADDR`]) !== servingPort) problem(where, `listens on ${env[`${prefix}_ADDR`]}, serving port ${servingPort}, default ${defaults[name]?.port}`);
  if (ports.metrics !== defaults[name]?.metricsPort || port(env[`${prefix}_METRICS_ADDR`]) !== ports.metrics) problem(where, 'metrics port disagrees');
  if (Number(template.metadata.annotations?.['prometheus.io/port']) !== ports.metrics) problem(where, 'prometheus.io/port is not the metrics port');
  if (!container.command?.includes(`services/${name}/src/main.ts`)) problem(where, `does not run services/${name}/src/main.ts`);
  for (const probeName of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const probe = container[probeName];
    if (probe === undefined) { problem(where, `no ${probeName}`); continue; }
    const command = probe.exec?.command;
    if (command !== undefined && (command[0] !== 'grpc-health-probe' || Number(command[1]) !== servingPort)) problem(where, `${probeName} probes ${command.join(' ')}`);
    if (command !== undefined && env.PROBE_IDENTITY !== name) problem(where, `probes as ${env.PROBE_IDENTITY}`);
    if (probe.periodSeconds * probe.failureThreshold * 1000 <= drainGraceMs && probeName === 'livenessProbe') problem(where, 'liveness could fail a draining process');
  }
  const certs = template.spec.volumes.find((volume) => volume.name === 'certs')?.secret?.secretName;
  if (certs !== `clearmesh-certs-${name}`) problem(where, `mounts certificates from ${certs}`);
  const preStopSeconds = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  const graceMs = template.spec.terminationGracePeriodSeconds * 1000;
  if (!(graceMs >= preStopSeconds * 1000 + drainGraceMs + 5_000)) problem(where, `terminationGracePeriodSeconds ${graceMs / 1000} does not cover preStop ${preStopSeconds} s + DRAIN_GRACE_MS ${drainGraceMs} ms + 5 s`);
  for (const [key, value] of Object.entries(env).filter(([key]) => name === 'gateway' && /^(ACCOUNT|PAYMENT)_ADDR$/.test(key))) {
    const callee = key.split('_')[0].toLowerCase();
    if (host(value) !== callee || port(value) !== servicePorts[callee]) problem(where, `${key}=${value} is not the ${callee} Service`);
  }
}
for (const [key, value] of Object.entries(configMap).filter(([key]) => key.endsWith('_TARGET'))) {
  const callee = key.split('_')[0].toLowerCase();
  if (host(value) !== callee || port(value) !== servicePorts[callee]) problem('config.yaml', `${key}=${value} is not the ${callee} Service`);
}
for (const budget of ofKind('PodDisruptionBudget')) {
  if (deployments.filter((deployment) => matches(budget.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).length !== 1) problem(`PodDisruptionBudget ${budget.metadata.name}`, 'selects no single Deployment');
}
for (const name of ['ledger', 'payment']) {
  if (!ofKind('PodDisruptionBudget').some((budget) => budget.spec.selector.matchLabels['app.kubernetes.io/name'] === name)) problem(k8sDirectory, `no PodDisruptionBudget for ${name}`);
}

// The Kubernetes scrape config without its discovery block, for a promtool that lacks it.
const k8sPrometheus = structuredClone(one('deploy/prometheus/prometheus.kubernetes.yml'));
for (const job of k8sPrometheus.scrape_configs ?? []) {
  if (job.kubernetes_sd_configs !== undefined) {
    delete job.kubernetes_sd_configs;
    job.static_configs = [{ targets: ['pod.example:9451'] }];
  }
}
k8sPrometheus.rule_files = (k8sPrometheus.rule_files ?? []).map((file) => resolve('deploy/prometheus', file));
writeFileSync(join(work, 'prometheus.kubernetes.static.yml'), JSON.stringify(k8sPrometheus));

if (problems.length > 0) {
  console.error(problems.map((line) => `  ${line}`).join('\n'));
  console.error(`${problems.length} problem(s) in deploy/`);
  process.exit(1);
}
console.log(`compose (${Object.keys(services).length} services), Kubernetes (${objects.length} objects) and Prometheus targets agree`);
NODE

step "promtool: every dashboard query is valid PromQL"
promtool check rules "$work/dashboard-queries.rules.yml" | sed "s#$work/##"
if [ "${k8s_prometheus_fallback}" = 1 ]; then
  step "promtool: prometheus.kubernetes.yml, discovery block replaced by a static target"
  promtool check config "$work/prometheus.kubernetes.static.yml" | sed "s#$work/##"
fi

step "Kubernetes manifests against the Kubernetes schemas (kubernetes-models)"
# kubernetes-models carries the Kubernetes OpenAPI definitions twice: as JSON-schema validators
# (types, required fields, enums, formats) and as TypeScript interfaces, whose excess-property
# check also refuses a misspelt field (`readinesProbe`), which the OpenAPI schemas let through.
tools="${CLEARMESH_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/clearmesh-deploy-check}"
models_version=5.1.0
installed="$(node -p "try { require('$tools/node_modules/kubernetes-models/package.json').version } catch { '' }")"
if [ "$installed" != "$models_version" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
    "kubernetes-models@$models_version" >"$work/npm.log" 2>&1 || true
fi
if [ -f "$tools/node_modules/kubernetes-models/package.json" ]; then
  check="check-$$"
  node --input-type=module - "$work/kubernetes-objects.json" "$tools" "$check" <<'NODE' || { rm -f "$tools/$check".*; exit 1; }
// Validates each object with the model of its apiVersion and kind, and writes it out as a typed
// TypeScript constant for tsc.
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [objectsFile, tools, check] = process.argv.slice(2);
const models = `${tools}/node_modules/kubernetes-models`;
const objects = JSON.parse(readFileSync(objectsFile, 'utf8'));
let failed = 0;
let typed = '';
for (const [index, { file, object }] of objects.entries()) {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const path = `${group === '' ? '' : `${group}/`}${version}/${object.kind}`;
  const where = `${file}: ${object.kind} ${object.metadata?.name}`;
  if (!existsSync(`${models}/${path}.js`)) { console.error(`${where}: no schema for ${object.apiVersion} ${object.kind}`); failed += 1; continue; }
  const Model = (await import(pathToFileURL(`${models}/${path}.js`).href))[object.kind];
  try {
    new Model(object).validate();
  } catch (error) {
    console.error(`${where}: ${error.message}`);
    failed += 1;
  }
  typed += `// ${where}\nimport type { I${object.kind} as T${index} } from 'kubernetes-models/${path}';\n`;
  typed += `export const object${index}: T${index} = ${JSON.stringify(object, null, 2)};\n`;
}
writeFileSync(`${tools}/${check}.mts`, typed);
writeFileSync(`${tools}/${check}.tsconfig.json`, JSON.stringify({
  compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: true, types: [] },
  files: [`${check}.mts`],
}));
if (failed > 0) process.exit(1);
console.log(`${objects.length} objects valid against the schemas of kubernetes-models ${JSON.parse(readFileSync(`${models}/package.json`, 'utf8')).version}`);
NODE
  tsc_status=0
  node node_modules/typescript/bin/tsc -p "$tools/$check.tsconfig.json" >"$work/tsc.log" || tsc_status=$?
  if [ "$tsc_status" != 0 ]; then
    # Name the object each error is in: the comment above it in the generated file.
    awk -v errors_file="$work/tsc.log" 'BEGIN { while ((getline line < errors_file) > 0) if (match(line, /\(([0-9]+),/)) { n = substr(line, RSTART + 1, RLENGTH - 2); errors[n] = line } }
      /^\/\/ / { object = substr($0, 4) } (NR in errors) { sub(/^[^:]*: /, "", errors[NR]); print "  " object ": " errors[NR] }' "$tools/$check.mts" >&2 || cat "$work/tsc.log" >&2
  fi
  rm -f "$tools/$check.mts" "$tools/$check.tsconfig.json"
  [ "$tsc_status" = 0 ] || { echo "the fields above are not in the Kubernetes API" >&2; exit 1; }
  echo "no field outside the Kubernetes API (TypeScript excess-property check)"
else
  skip "could not install kubernetes-models into $tools (no npm registry?): $(tail -n 1 "$work/npm.log" 2>/dev/null)"
fi

step "kubectl kustomize deploy/kubernetes"
if command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize deploy/kubernetes >"$work/kustomized.yaml"
  echo "builds: $(grep -c '^kind:' "$work/kustomized.yaml") objects"
else
  skip "kubectl is not installed"
fi

step "compose: docker compose config"
if docker compose version >/dev/null 2>&1; then
  docker compose -f deploy/compose/compose.yaml config --quiet
  echo "docker compose config: valid"
elif command -v docker-compose >/dev/null 2>&1; then
  # Compose v1 predates the top-level `name`; check a copy without it, beside the original so
  # that relative paths resolve the same.
  copy="$(mktemp deploy/compose/.compose-v1-check.XXXXXX.yaml)"
  trap 'rm -rf "$work" "$copy"' EXIT
  sed '/^name:/d' deploy/compose/compose.yaml >"$copy"
  docker-compose -f "$copy" -p clearmesh config --quiet
  echo "docker-compose $(docker-compose version --short) config: valid (without the top-level name)"
else
  skip "neither docker compose nor docker-compose is installed"
fi

step "grpc-health-probe.sh is valid sh"
sh -n deploy/docker/grpc-health-probe.sh
if command -v shellcheck >/dev/null 2>&1; then shellcheck deploy/docker/grpc-health-probe.sh scripts/check-deploy.sh; fi

printf '\ndeploy/ checks passed\n'
