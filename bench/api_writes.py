"""API writes per pod started, in cluster mode: cubelet and the upstream
kubelet each join the same upstream control plane (scripts/controlplane.sh)
as node `bench`, alone on a fresh private containerd; N pods bound to the
node (spec.nodeName, so the scheduler plays no part) are created through the
API server, and the API server's own request counters
(apiserver_request_total) tell how many writes the node made until every
pod is Running there and a few seconds more:
  status_writes_per_pod  pods/status PATCH and PUT (only the node writes them)
  event_writes_per_pod   events created or patched
  node_writes_per_pod    Node, Node status and Lease writes over the same window
The agents run with the same API limits (50 QPS, burst 100, both defaults).
Used by side_by_side.py (--api-writes N).
"""

import json
import os
import ssl
import subprocess
import time
import urllib.request

from agents import log

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = "bench"
WRITE_VERBS = {"POST", "PUT", "PATCH", "DELETE", "APPLY"}


class ControlPlane:
    """scripts/controlplane.sh, spoken to as its admin."""

    def __init__(self):
        self.script = os.path.join(REPO, "scripts", "controlplane.sh")
        pki = os.path.join(os.environ.get("CUBELET_CONTROLPLANE_DIR",
                                          "/var/lib/cubelet-controlplane"), "pki")
        self.pki = pki
        self.ctx = None

    def start(self):
        subprocess.run(["bash", self.script, "stop", "--clean"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["bash", self.script, "start"], check=True, stdout=subprocess.DEVNULL)
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.crt"))
        self.ctx.load_cert_chain(os.path.join(self.pki, "admin.crt"),
                                 os.path.join(self.pki, "admin.key"))

    def stop(self):
        subprocess.run(["bash", self.script, "stop", "--clean"], stdout=subprocess.DEVNULL)

    def node_kubeconfig(self):
        out = subprocess.run(["bash", self.script, "node-kubeconfig", NODE], check=True,
                             capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("https://127.0.0.1:6443" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw[:1] == b"{" else raw.decode()

    def writes(self):
        """(verb, resource, subresource) -> count of writes so far."""
        out = {}
        for line in self.call("GET", "/metrics").splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels, value = line[len("apiserver_request_total{"):].rsplit("} ", 1)
            kv = dict(part.split("=", 1) for part in labels.split(",") if "=" in part)
            kv = {k: v.strip('"') for k, v in kv.items()}
            if kv.get("verb") not in WRITE_VERBS:
                continue
            key = (kv["verb"], kv.get("resource", ""), kv.get("subresource", ""))
            out[key] = out.get(key, 0) + float(value)
        return out


def pod(i):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"api-{i}", "namespace": "default"},
            "spec": {"nodeName": NODE, "hostNetwork": True, "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "app", "image": "docker.io/library/busybox:latest",
                                     "imagePullPolicy": "Never",
                                     "command": ["sh", "-c",
                                                 "trap 'exit 0' TERM; sleep 3600 & wait"]}]}}


def wait(what, cond, timeout):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout}s")
        time.sleep(0.2)


def measure_api_writes(cls, binary, n, containerd, cp, args, work):
    agent = cls(binary, work, containerd.endpoint, args.concurrency)
    agent.kubeconfig = cp.node_kubeconfig()
    result = {"agent": cls.name, "n": n}
    try:
        agent.start()

        def node_ready():
            try:
                node = cp.call("GET", f"/api/v1/nodes/{NODE}")
            except Exception:
                return False
            return any(c["type"] == "Ready" and c["status"] == "True"
                       for c in node.get("status", {}).get("conditions", []))
        wait(f"{cls.name}: node Ready", node_ready, 120)
        time.sleep(2)  # the registration's own writes settle
        before = cp.writes()
        t0 = time.monotonic()
        for i in range(n):
            cp.call("POST", "/api/v1/namespaces/default/pods", pod(i))

        def running():
            pods = cp.call("GET", "/api/v1/namespaces/default/pods?"
                           "fieldSelector=status.phase%3DRunning")
            return len(pods.get("items", [])) >= n
        wait(f"{cls.name}: {n} pods Running in the API", running, args.timeout)
        result["api_start_s"] = time.monotonic() - t0
        time.sleep(5)  # trailing writes (readiness, events)
        after = cp.writes()
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}

        def total(pred):
            return sum(v for (verb, res, sub), v in delta.items() if pred(verb, res, sub))
        result["status_writes_per_pod"] = total(
            lambda verb, res, sub: res == "pods" and sub == "status") / n
        result["event_writes_per_pod"] = total(lambda verb, res, sub: res == "events") / n
        result["node_writes_per_pod"] = total(
            lambda verb, res, sub: res in ("nodes", "leases")) / n
        # Everything but the benchmark's own pod creations.
        result["api_writes_per_pod"] = total(
            lambda verb, res, sub: not (verb == "POST" and res == "pods" and sub == "")) / n
        cp.call("DELETE", "/api/v1/namespaces/default/pods")
        wait(f"{cls.name}: pods gone", lambda: not cp.call(
            "GET", "/api/v1/namespaces/default/pods").get("items"), args.timeout)
    finally:
        agent.stop()
        try:
            cp.call("DELETE", f"/api/v1/nodes/{NODE}")
        except Exception as e:  # noqa: BLE001 - best effort between agents
            log(f"deleting node {NODE}: {e}")
    return result
