"""The agents the benchmarks and the differential tests drive: a private
containerd of their own, and cubelet or the upstream kubelet in standalone mode
(a static pod folder, /pods on the read-only port). Used by
bench/side_by_side.py and oracle/differential.py.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def usage(pid):
    """(RSS MiB, peak RSS MiB, user+system CPU seconds) of a process."""
    rss = hwm = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = float(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = float(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, hwm, (int(fields[11]) + int(fields[12])) / ticks


class Containerd:
    """A private containerd for the benchmark, beside any other."""

    def __init__(self, state_dir):
        self.env = dict(os.environ, CUBELET_CONTAINERD_DIR=state_dir,
                        CUBELET_CNI_BRIDGE="cubebench0", CUBELET_CNI_SUBNET="10.77.0.0/16")
        self.sock = os.path.join(state_dir, "containerd.sock")
        self.endpoint = "unix://" + self.sock

    def script(self, *args):
        subprocess.run(["bash", os.path.join(REPO, "scripts/containerd.sh"), *args],
                       env=self.env, check=True, stdout=subprocess.DEVNULL)

    def fresh(self):
        self.script("reset")
        self.script("start")

    def stop(self):
        self.script("stop", "--all")

    def tasks(self):
        """{container id: pid} of the tasks in the CRI namespace that still
        run. A STOPPED task is left out: under a 1000-pod teardown
        containerd 1.6 can miss an exit and keep such a task (its CRI store
        says running, so nobody can remove it) although nothing runs."""
        out = subprocess.run(["ctr", "--address", self.sock, "-n", "k8s.io", "tasks", "ls"],
                             capture_output=True, text=True, timeout=30).stdout
        tasks = {}
        for line in out.splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 3 and parts[1].isdigit() and parts[2] != "STOPPED":
                tasks[parts[0]] = int(parts[1])
        return tasks


class Agent:
    name = "?"

    def __init__(self, binary, work, endpoint, concurrency):
        self.binary, self.work, self.endpoint = binary, work, endpoint
        self.concurrency = concurrency
        self.manifests = os.path.join(work, "manifests")
        os.makedirs(self.manifests, exist_ok=True)
        self.port = free_port()
        self.proc = None
        # Cluster mode: the node's kubeconfig (client cert system:node:bench);
        # None runs the agent standalone.
        self.kubeconfig = None

    def pods_url(self):
        return f"http://127.0.0.1:{self.port}/pods"

    def start(self):
        self.logf = open(os.path.join(self.work, f"{self.name}.log"), "w")
        self.proc = subprocess.Popen(self.command(), stdout=self.logf, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 60
        while self.pods() is None:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{self.name} did not serve /pods (log {self.logf.name})")
            time.sleep(0.2)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()

    def pods(self):
        try:
            with urllib.request.urlopen(self.pods_url(), timeout=5) as r:
                return json.loads(r.read()).get("items") or []
        except Exception:
            return None


class Cubelet(Agent):
    name = "cubelet"

    def command(self):
        return [self.binary, f"--pod-manifest-path={self.manifests}",
                f"--container-runtime-endpoint={self.endpoint}",
                f"--root-dir={self.work}/root", f"--pod-logs-dir={self.work}/logs",
                "--node-name=bench", "--cgroup-root=/cubelet-bench",
                f"--read-only-port={self.port}", "--port=0", "--healthz-port=0",
                f"--pod-worker-threads={self.concurrency}", "--max-pods=1100"] + \
            ([f"--kubeconfig={self.kubeconfig}"] if self.kubeconfig else [])


class Kubelet(Agent):
    name = "kubelet"

    def command(self):
        # What this machine needs (cgroup v1, no QoS cgroups, swap on), as
        # the shared notes verified; the rest is the kubelet's defaults.
        config = os.path.join(self.work, "kubelet.yaml")
        with open(config, "w") as f:
            f.write(f"""apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: {self.manifests}
containerRuntimeEndpoint: {self.endpoint}
readOnlyPort: {self.port}
port: {free_port()}
healthzPort: 0
authentication: {{anonymous: {{enabled: true}}, webhook: {{enabled: false}}}}
authorization: {{mode: AlwaysAllow}}
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
maxPods: 1100
podLogsDir: {self.work}/logs
""")
        return [self.binary, f"--config={config}", f"--root-dir={self.work}/root",
                "--hostname-override=bench", "--v=0"] + \
            ([f"--kubeconfig={self.kubeconfig}"] if self.kubeconfig else [])
