// Validates Kubernetes objects against the schemas that the npm packages
// kubernetes-models and @kubernetes-models/cert-manager carry (generated from
// the Kubernetes OpenAPI document and cert-manager's CRDs), like kubeconform
// in strict mode: types, enums and required fields come from the schema, and
// a field the schema does not know is an error too.
//
// usage: node k8s_validate.mjs NODE_MODULES_DIR FILE.json
//   FILE.json holds an array of objects. Prints a JSON array with one
//   {kind, name, errors: [...]} per object; exit status 0 when all are valid.
//
// Unknown fields: the generated validators read every property the schema
// defines, so each object is wrapped in a Proxy that records which keys the
// validator read. A key present in the object but never read is not in the
// schema. Objects the validator enumerates (maps such as labels, or
// free-form objects) count as fully read.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, file] = process.argv.slice(2);
const objects = JSON.parse(readFileSync(file, "utf8"));

// "apps/v1" + "Deployment" -> the generated validator's module.
function schemaModule(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  if (group === "cert-manager.io") {
    return join(modules, "@kubernetes-models/cert-manager/_schemas",
      `ComGithubCertManagerCertManagerPkgApisCertmanager${cap(version)}${kind}.js`);
  }
  const g = group === "" ? "Core" : cap(group.split(".")[0]);
  return join(modules, "kubernetes-models/_schemas", `IoK8sApi${g}${cap(version)}${kind}.js`);
}

function track(value, path, records) {
  if (value === null || typeof value !== "object") return value;
  const rec = { path, value, read: new Set(), enumerated: false };
  records.push(rec);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return v;
      rec.read.add(key);
      if (v !== null && typeof v === "object" && Object.hasOwn(target, key)) {
        if (!children.has(key)) children.set(key, track(v, `${path}/${key}`, records));
        return children.get(key);
      }
      return v;
    },
    ownKeys(target) {
      rec.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

let failed = 0;
const results = [];
for (const obj of objects) {
  const kind = obj?.kind ?? "?";
  const name = obj?.metadata?.name ?? "?";
  const errors = [];
  let validate;
  try {
    ({ validate } = await import(pathToFileURL(schemaModule(obj.apiVersion ?? "", kind)).href));
  } catch (e) {
    errors.push(`no schema for ${obj?.apiVersion}/${kind}`);
  }
  if (validate) {
    const records = [];
    const ok = validate(track(obj, "", records));
    if (!ok) {
      for (const e of validate.errors ?? []) {
        errors.push(`${e.instancePath || "/"}: ${e.keyword} ${JSON.stringify(e.params)}`);
      }
    }
    for (const r of records) {
      if (r.enumerated || Array.isArray(r.value)) continue;
      for (const key of Object.keys(r.value)) {
        if (!r.read.has(key)) errors.push(`${r.path}/${key}: unknown field`);
      }
    }
  }
  if (errors.length) failed++;
  results.push({ kind, name, errors });
}
console.log(JSON.stringify(results, null, 1));
process.exit(failed ? 1 : 0);
