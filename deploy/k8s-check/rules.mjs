#!/usr/bin/env node
// Structural check of a Prometheus rule file (scripts/k8s-check.sh): groups with names, each
// rule an alert with expr, a `for` duration, a severity label and a summary annotation;
// balanced brackets and quotes in every expression; no duplicate alert names.
//   node rules.mjs FILE
import { readFileSync } from "node:fs";
import { parse } from "yaml";

const problems = [];
let count = 0;
const file = process.argv[2];
const doc = parse(readFileSync(file, "utf8"));

function balanced(expr) {
  const pairs = { ")": "(", "]": "[", "}": "{" };
  const stack = [];
  let quote = null;
  for (const ch of expr) {
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") quote = ch;
    else if ("([{".includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0 && quote === null;
}

const names = new Set();
if (!Array.isArray(doc?.groups) || doc.groups.length === 0) problems.push("no groups");
for (const g of doc?.groups ?? []) {
  if (typeof g.name !== "string") problems.push("a group has no name");
  for (const r of g.rules ?? []) {
    count++;
    const id = r.alert ?? r.record ?? "?";
    if (typeof r.alert !== "string") problems.push(`${id}: not an alert rule`);
    if (names.has(id)) problems.push(`${id}: duplicate name`);
    names.add(id);
    if (typeof r.expr !== "string" || r.expr.trim() === "") problems.push(`${id}: no expr`);
    else if (!balanced(r.expr)) problems.push(`${id}: unbalanced brackets or quotes in expr`);
    if (typeof r.for !== "string" || !/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(r.for)) {
      problems.push(`${id}: "for" is not a duration`);
    }
    if (!["page", "warning", "info"].includes(r.labels?.severity)) {
      problems.push(`${id}: labels.severity must be page, warning or info`);
    }
    if (typeof r.annotations?.summary !== "string") problems.push(`${id}: no summary annotation`);
  }
}
for (const p of problems) console.log(`FAIL ${p}`);
console.log(`rules-check: ${count} rules, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
