#!/usr/bin/env node
// A small kustomize for machines without kubectl (scripts/k8s-check.sh falls back to it).
//
//   node render.mjs DIR          prints the rendered multi-document YAML on stdout
//
// It implements exactly the subset that k8s/ uses, and refuses anything else so it can never
// silently render something different from `kubectl kustomize`:
//   resources: files or directories (with their own kustomization.yaml)
//   images:    name + newName/newTag/digest, applied to (init) containers of pod templates
//   patches:   strategic-merge patches (path: or inline patch:) without target; maps merge,
//              lists are replaced, `$patch: delete` removes the object
// tests/k8s/run.sh compares its output with kubectl's where kubectl exists.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

const KNOWN = new Set(["apiVersion", "kind", "resources", "images", "patches"]);

function die(msg) {
  console.error(`render: ${msg}`);
  process.exit(1);
}

function readDocs(file) {
  const out = [];
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) die(`${file}: ${doc.errors[0].message}`);
    const v = doc.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

function key(o) {
  return `${o.apiVersion}|${o.kind}|${o.metadata?.namespace ?? ""}|${o.metadata?.name}`;
}

function isMap(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function merge(base, patch) {
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = merge(out[k], v);
    else out[k] = v;
  }
  return out;
}

function applyImages(objs, images) {
  const fix = (c) => {
    const [ref] = c.image.split("@");
    const colon = ref.lastIndexOf(":");
    const name = colon > ref.lastIndexOf("/") ? ref.slice(0, colon) : ref;
    const img = images.find((i) => i.name === name);
    if (!img) return;
    let out = img.newName ?? name;
    if (img.digest) out += `@${img.digest}`;
    else if (img.newTag) out += `:${img.newTag}`;
    else if (colon > ref.lastIndexOf("/")) out += ref.slice(colon);
    c.image = out;
  };
  for (const o of objs) {
    const spec = o.spec?.template?.spec;
    if (!spec) continue;
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) fix(c);
  }
}

function build(dir) {
  const kfile = join(dir, "kustomization.yaml");
  if (!existsSync(kfile)) die(`${dir}: no kustomization.yaml`);
  const [k] = readDocs(kfile);
  for (const f of Object.keys(k)) if (!KNOWN.has(f)) die(`${kfile}: unsupported field "${f}"`);
  let objs = [];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    if (!existsSync(p)) die(`${kfile}: resource ${r} does not exist`);
    objs.push(...(statSync(p).isDirectory() ? build(p) : readDocs(p)));
  }
  const seen = new Set();
  for (const o of objs) {
    if (seen.has(key(o))) die(`${dir}: duplicate object ${key(o)}`);
    seen.add(key(o));
  }
  for (const p of k.patches ?? []) {
    for (const f of Object.keys(p)) {
      if (f !== "path" && f !== "patch") die(`${kfile}: unsupported patch field "${f}"`);
    }
    const docs = p.path
      ? readDocs(resolve(dir, p.path))
      : parseAllDocuments(p.patch).map((d) => d.toJS());
    for (const d of docs) {
      const i = objs.findIndex((o) => key(o) === key(d));
      if (i < 0) die(`${kfile}: patch target ${key(d)} not found`);
      if (d.$patch === "delete") objs.splice(i, 1);
      else if (d.$patch !== undefined) die(`${kfile}: unsupported $patch ${d.$patch}`);
      else objs[i] = merge(objs[i], d);
    }
  }
  if (k.images) applyImages(objs, k.images);
  return objs;
}

if (process.argv.length !== 3) die("usage: render.mjs DIR");
const objs = build(resolve(process.argv[2]));
process.stdout.write(objs.map((o) => stringify(o)).join("---\n"));
