#!/usr/bin/env python3
"""The validation oracle's driver (run by scripts/validation-oracle.sh).

For every document of every manifest given, asks the real kube-apiserver
(server-side dry run, fieldValidation=Strict as kubectl sends it) and
`cubelet validate` whether the pod is valid, and compares:
  - accept or reject;
  - on reject, the field path of the first error.
A document cubelet refuses because it cannot honour a field standalone (its
error says "not supported" or "needs cluster mode") while the API server accepts it counts as agreed
by design and is listed with the field. Prints each disagreement and
`RESULT documents=… agree=… disagree=… unsupported=… rate=…`; exits 1 unless
every document agrees.
"""

import argparse
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import yaml

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def manifest_files(paths):
    for path in paths:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                full = os.path.join(path, name)
                if name.startswith(".") or not name.endswith(MANIFEST_SUFFIXES):
                    continue
                if os.path.isfile(full):
                    yield full
        else:
            yield path


def documents(path, data):
    """The documents of a file as raw bytes: JSON is one document; YAML splits
    on lines that are exactly `---` (what both decoders do with a stream)."""
    if path.endswith(".json"):
        return [data]
    docs, current = [], []
    for line in data.splitlines(keepends=True):
        if line.rstrip(b"\r\n") == b"---":
            docs.append(b"".join(current))
            current = []
        else:
            current.append(line)
    docs.append(b"".join(current))
    # Blank documents are skipped by both; keep the numbering of the others.
    return [d if d.strip() else None for d in docs]


def namespace_of(doc):
    """metadata.namespace when it is a plain string, else "default"."""
    try:
        obj = yaml.safe_load(doc)
    except Exception:  # hostile or malformed: the API server will say
        return "default"
    if isinstance(obj, dict):
        meta = obj.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("namespace"), str):
            ns = meta["namespace"]
            if re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", ns):
                return ns
    return "default"


class ApiServer:
    def __init__(self, server, token):
        self.server = server
        self.token = token
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.namespaces = {"default"}

    def request(self, method, path, body, content_type):
        req = urllib.request.Request(self.server + path, data=body, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Content-Type", content_type)
        req.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, {"message": raw.decode("utf-8", "replace")}

    def ensure_namespace(self, ns):
        if ns in self.namespaces:
            return
        body = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": ns}}).encode()
        code, _ = self.request("POST", "/api/v1/namespaces", body, "application/json")
        if code not in (201, 409):
            raise RuntimeError(f"create namespace {ns}: HTTP {code}")
        self.namespaces.add(ns)

    def dry_run(self, doc, is_json):
        ns = namespace_of(doc)
        self.ensure_namespace(ns)
        code, status = self.request(
            "POST", f"/api/v1/namespaces/{ns}/pods?dryRun=All&fieldValidation=Strict", doc,
            "application/json" if is_json else "application/yaml")
        if code in (200, 201):
            return {"valid": True, "field": "", "message": ""}
        causes = (status.get("details") or {}).get("causes") or []
        field = causes[0].get("field", "") if causes else ""
        message = status.get("message", "")
        # 400: decoding (malformed, wrong type, unknown or duplicate field);
        # 403: an admission plugin (e.g. an unknown RuntimeClass). Only 422
        # is the validation that names its field.
        decode_error = code != 422
        if not field:
            # Decoding errors carry the path, when they know one, only in the
            # message.
            m = re.search(r'(?:unknown|duplicate) field "([^"]+)"', message) or \
                re.search(r'Go struct field [A-Za-z0-9]+\.(\S+) of type', message)
            if m:
                field = m.group(1)
        return {"valid": False, "field": field, "message": message, "decode_error": decode_error}


FIELD_RE = re.compile(r"^((?:apiVersion|kind|metadata|spec)(?:[.\[][^\s]*)?): ")


def cubelet_validate(cubelet, doc, suffix):
    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(doc)
        f.flush()
        proc = subprocess.run([cubelet, "validate", f.name], capture_output=True, timeout=60)
        name = f.name
    errors = [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if line]
    if proc.returncode == 0:
        return {"valid": True, "field": "", "message": ""}
    first = errors[0] if errors else "(no error printed)"
    rest = first[len(name) + 2:] if first.startswith(name + ": ") else first
    rest = re.sub(r'^document \d+: ', "", rest)
    rest = re.sub(r'^pod "[^"]*": ', "", rest)
    m = FIELD_RE.match(rest)
    return {"valid": False, "field": m.group(1) if m else "", "message": rest,
            "unsupported": "not supported" in rest or "needs cluster mode" in rest}


def same_first_error(server, ours):
    """A validation error (422) must name the same field. A decoding or
    admission error names a path only sometimes, and the two decoders stop at
    different points of a hostile document: when both name one, cubelet's must
    be it or lie under it."""
    if not server.get("decode_error"):
        return server["field"] == ours["field"]
    if not server["field"] or not ours["field"]:
        return True
    f, o = server["field"], ours["field"]
    return o == f or o.startswith(f + ".") or o.startswith(f + "[")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--cubelet", required=True)
    ap.add_argument("--report")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()

    api = ApiServer(args.server, args.token)
    rows = []
    counts = {"agree": 0, "disagree": 0, "unsupported": 0}
    for path in manifest_files(args.paths):
        with open(path, "rb") as f:
            data = f.read()
        docs = documents(path, data)
        for index, doc in enumerate(docs, 1):
            if doc is None:
                continue
            label = path if len(docs) == 1 else f"{path}#{index}"
            server = api.dry_run(doc, path.endswith(".json"))
            ours = cubelet_validate(args.cubelet, doc, os.path.splitext(path)[1])
            if server["valid"] and not ours["valid"] and ours.get("unsupported"):
                verdict = "unsupported"
            elif server["valid"] != ours["valid"]:
                verdict = "disagree"
            elif not server["valid"] and not same_first_error(server, ours):
                verdict = "disagree"
            else:
                verdict = "agree"
            counts[verdict] += 1
            rows.append((label, server, ours, verdict))
            if verdict == "disagree":
                print(f"DISAGREE {label}")
                print(f"  kube-apiserver: {'valid' if server['valid'] else 'invalid'}"
                      f" field={server['field']!r} {server['message'][:300]}")
                print(f"  cubelet:        {'valid' if ours['valid'] else 'invalid'}"
                      f" field={ours['field']!r} {ours['message'][:300]}")
            elif verdict == "unsupported":
                print(f"UNSUPPORTED {label}: {ours['message'][:200]}")

    total = len(rows)
    agreed = counts["agree"] + counts["unsupported"]
    rate = 100.0 * agreed / total if total else 0.0
    if args.report:
        with open(args.report, "w") as out:
            out.write("| document | kube-apiserver | cubelet | verdict |\n|---|---|---|---|\n")
            for label, server, ours, verdict in rows:
                def cell(r):
                    return "valid" if r["valid"] else f"invalid `{r['field'] or '-'}`"
                out.write(f"| `{label}` | {cell(server)} | {cell(ours)} | {verdict} |\n")
    print(f"RESULT documents={total} agree={counts['agree']} unsupported={counts['unsupported']} "
          f"disagree={counts['disagree']} rate={rate:.1f}")
    return 0 if counts["disagree"] == 0 and total > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
