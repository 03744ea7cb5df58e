#!/usr/bin/env node
// Prints a canonical form of a multi-document YAML file (one sorted-key JSON object per line,
// lines sorted), so two renderings can be compared regardless of order and formatting.
//   node canon.mjs FILE
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
const sort = (v) => Array.isArray(v) ? v.map(sort) : (v && typeof v === "object") ? Object.fromEntries(Object.keys(v).sort().map(k => [k, sort(v[k])])) : v;
const docs = parseAllDocuments(readFileSync(process.argv[2], "utf8")).map(d => d.toJS()).filter(Boolean).map(sort).map(d => JSON.stringify(d)).sort();
console.log(docs.join("\n"));
