#!/usr/bin/env node
// Offline checks of rendered Kubernetes manifests (scripts/k8s-check.sh).
//
//   node check.mjs [--allow-secrets] FILE...   (multi-document YAML; "-" reads stdin)
//
// 1. Schema: every object is validated against the Kubernetes OpenAPI schema of its
//    apiVersion/kind (kubernetes-models); an unknown apiVersion/kind is an error.
// 2. Policy (the production posture of platform.md §7):
//    - every container of a workload has a readiness and a liveness probe (init containers are
//      exempt: Kubernetes forbids probes there), cpu+memory requests and limits, runAsNonRoot,
//      readOnlyRootFilesystem, allowPrivilegeEscalation=false, capabilities.drop ALL, and an
//      image with an explicit tag other than "latest" (or a digest);
//    - every Deployment has a HorizontalPodAutoscaler and a PodDisruptionBudget that select it;
//    - no Secret is rendered (secrets are created out of band, never committed);
//      --allow-secrets lifts this for the committed template (placeholders only).
// 3. Sizing (--measured FILE, the bench/results.md of `make bench`), for every container of a
//    Deployment labelled app.kubernetes.io/component gateway or service:
//    - requests.memory within 1.5–4 ×, limits.memory within 3–12 × the RSS measured for it
//      under 256 connections (the row "RSS <container>, 256 connections | N | MiB"); a container
//      with no such row is a problem;
//    - requests ≤ limits for cpu and memory;
//    - WORKER_THREADS set (in env, or in a ConfigMap of envFrom) to an integer from 1 to what the
//      binary's default would be for the cpu limit (cpus.h): services 2 per CPU, at least 4;
//      the gateway 8 per CPU, at least 16; never over 64 (a fraction of a CPU counts as one).
// Prints one line per problem and a summary; exits 1 when there is any problem.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const problems = [];
const objects = [];

function problem(obj, msg) {
  const id = obj ? `${obj.kind}/${obj.metadata?.name ?? "?"}` : "?";
  problems.push(`${id}: ${msg}`);
}

function load(file) {
  const text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      problems.push(`${file}: YAML error: ${doc.errors[0].message}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    objects.push(obj);
  }
}

// "apps/v1" → kubernetes-models/apps/v1; "v1" → kubernetes-models/v1.
async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || !/^[a-z0-9.-]+(\/v[0-9a-z]+)?$/.test(apiVersion)) return null;
  let mod;
  try {
    mod = await import(`kubernetes-models/${apiVersion}`);
  } catch {
    return null;
  }
  return typeof mod[kind] === "function" ? mod[kind] : null;
}

async function checkSchema(obj) {
  if (typeof obj !== "object" || Array.isArray(obj)) {
    problem(null, "a document is not an object");
    return;
  }
  if (!obj.metadata || typeof obj.metadata.name !== "string" || obj.metadata.name === "") {
    problem(obj, "metadata.name is missing");
  }
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (Model === null) {
    problem(obj, `unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`);
    return;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    problem(obj, `schema: ${String(e.message).split("\n").join("; ")}`);
  }
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

function imageOk(image) {
  if (typeof image !== "string" || image === "") return "has no image";
  if (image.includes("@sha256:")) return null;
  const last = image.split("/").pop();
  const colon = last.lastIndexOf(":");
  if (colon < 0) return `image ${image} has no tag (implicitly latest)`;
  if (last.slice(colon + 1) === "latest") return `image ${image} uses the latest tag`;
  return null;
}

function checkContainer(obj, podSpec, c, init) {
  const where = `${init ? "init container" : "container"} ${c.name}`;
  const podSc = podSpec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  if (!init) {
    if (!c.readinessProbe) problem(obj, `${where} has no readinessProbe`);
    if (!c.livenessProbe) problem(obj, `${where} has no livenessProbe`);
  }
  for (const kind of ["requests", "limits"]) {
    for (const res of ["cpu", "memory"]) {
      if (c.resources?.[kind]?.[res] === undefined) problem(obj, `${where} has no ${kind}.${res}`);
    }
  }
  const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
  if (nonRoot !== true) problem(obj, `${where} is not runAsNonRoot`);
  if ((sc.runAsUser ?? podSc.runAsUser) === 0) problem(obj, `${where} runs as uid 0`);
  if (sc.readOnlyRootFilesystem !== true) problem(obj, `${where} has a writable root filesystem`);
  if (sc.allowPrivilegeEscalation !== false) {
    problem(obj, `${where} does not set allowPrivilegeEscalation: false`);
  }
  if (sc.privileged === true) problem(obj, `${where} is privileged`);
  const drop = sc.capabilities?.drop ?? [];
  if (!drop.includes("ALL")) problem(obj, `${where} does not drop ALL capabilities`);
  if ((sc.capabilities?.add ?? []).length > 0) problem(obj, `${where} adds capabilities`);
  const bad = imageOk(c.image);
  if (bad) problem(obj, `${where} ${bad}`);
}

function podSpecOf(obj) {
  if (obj.kind === "Job") return obj.spec?.template?.spec;
  return obj.spec?.template?.spec;
}

function selects(selector, labels) {
  if (!selector || !labels) return false;
  const ml = selector.matchLabels ?? {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return Object.keys(ml).length > 0 || (selector.matchExpressions ?? []).length > 0;
}

function checkPolicy() {
  const ns = (o) => o.metadata?.namespace ?? "default";
  for (const obj of objects) {
    if (obj.kind === "Secret" && !allowSecrets) {
      problem(obj, "a Secret is rendered: create secrets out of band (secret.template.yaml)");
    }
    if (!WORKLOADS.has(obj.kind)) continue;
    const spec = podSpecOf(obj);
    if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
      problem(obj, "has no containers");
      continue;
    }
    for (const c of spec.containers) checkContainer(obj, spec, c, false);
    for (const c of spec.initContainers ?? []) checkContainer(obj, spec, c, true);
    if (obj.kind !== "Deployment") continue;
    const name = obj.metadata?.name;
    const hpa = objects.find(
      (o) =>
        o.kind === "HorizontalPodAutoscaler" &&
        ns(o) === ns(obj) &&
        o.spec?.scaleTargetRef?.kind === "Deployment" &&
        o.spec?.scaleTargetRef?.name === name,
    );
    if (!hpa) problem(obj, "has no HorizontalPodAutoscaler");
    else if (!(hpa.spec.metrics ?? []).some((m) => m.resource?.name === "cpu")) {
      problem(hpa, "does not scale on cpu");
    }
    const labels = obj.spec?.template?.metadata?.labels;
    const pdb = objects.find(
      (o) => o.kind === "PodDisruptionBudget" && ns(o) === ns(obj) && selects(o.spec?.selector, labels),
    );
    if (!pdb) problem(obj, "has no PodDisruptionBudget");
  }
}

// "48Mi" → bytes; NaN when not a quantity.
function memBytes(q) {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q ?? ""));
  if (!m) return NaN;
  const mult = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? mult[m[2]] : 1);
}

// "500m" / "1" / "2.5" → CPUs; NaN when not a quantity.
function cpus(q) {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(String(q ?? ""));
  if (!m) return NaN;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

function loadMeasured(file) {
  const rss = new Map();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\| RSS ([A-Za-z0-9_-]+), 256 connections \| ([0-9.]+) \| MiB \|/.exec(line);
    if (m) rss.set(m[1], Number(m[2]) * 2 ** 20);
  }
  return rss;
}

function envValue(c, name) {
  const e = (c.env ?? []).find((x) => x.name === name);
  if (e) return e.value;
  for (const src of c.envFrom ?? []) {
    const prefix = src.prefix ?? "";
    if (!name.startsWith(prefix)) continue;
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata?.name === src.configMapRef?.name);
    const v = cm?.data?.[name.slice(prefix.length)];
    if (v !== undefined) return v;
  }
  return undefined;
}

const MIB = 2 ** 20;

function checkSizing(rss) {
  for (const obj of objects) {
    if (obj.kind !== "Deployment") continue;
    const component = obj.spec?.template?.metadata?.labels?.["app.kubernetes.io/component"];
    if (component !== "gateway" && component !== "service") continue;
    for (const c of podSpecOf(obj)?.containers ?? []) {
      const where = `container ${c.name}`;
      const req = c.resources?.requests ?? {};
      const lim = c.resources?.limits ?? {};
      const peak = rss.get(c.name);
      const rm = memBytes(req.memory), lm = memBytes(lim.memory);
      if (peak === undefined) {
        problem(obj, `${where}: no RSS measured for it under 256 connections in the bench results`);
      } else {
        const fig = `${(peak / MIB).toFixed(1)} MiB measured`;
        if (!(rm >= 1.5 * peak && rm <= 4 * peak))
          problem(obj, `${where}: requests.memory ${req.memory} is not 1.5–4 × the ${fig}`);
        if (!(lm >= 3 * peak && lm <= 12 * peak))
          problem(obj, `${where}: limits.memory ${lim.memory} is not 3–12 × the ${fig}`);
      }
      if (!(rm <= lm)) problem(obj, `${where}: requests.memory is above limits.memory`);
      const rc = cpus(req.cpu), lc = cpus(lim.cpu);
      if (!(rc <= lc)) problem(obj, `${where}: requests.cpu is above limits.cpu`);
      const per = component === "gateway" ? 8 : 2, floor = component === "gateway" ? 16 : 4;
      const max = Math.min(64, Math.max(floor, per * Math.ceil(lc)));
      const wt = envValue(c, "WORKER_THREADS");
      if (wt === undefined) {
        problem(obj, `${where}: WORKER_THREADS is not set (at most ${max} for cpu ${lim.cpu})`);
      } else if (!/^[0-9]+$/.test(String(wt)) || Number(wt) < 1 || Number(wt) > max) {
        problem(obj, `${where}: WORKER_THREADS ${wt} does not fit cpu ${lim.cpu} (1 to ${max})`);
      }
    }
  }
}

let files = process.argv.slice(2);
const allowSecrets = files.includes("--allow-secrets");
files = files.filter((f) => f !== "--allow-secrets");
let measured = null;
const mi = files.indexOf("--measured");
if (mi >= 0) {
  measured = files[mi + 1];
  files.splice(mi, 2);
}
if (files.length === 0) {
  console.error("usage: check.mjs FILE... (multi-document YAML, - for stdin)");
  process.exit(2);
}
for (const f of files) load(f);
for (const obj of objects) await checkSchema(obj);
checkPolicy();
if (measured !== null) checkSizing(loadMeasured(measured));
for (const p of problems) console.log(`FAIL ${p}`);
console.log(`k8s-check: ${objects.length} objects, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
