#!/usr/bin/env python3
"""Side by side: raw CRI, cubelet and the upstream kubelet (standalone, static
pod path) on the same machine, in the same run, with the same manifests.

Each measurement gets a fresh private containerd of its own (reset, then
started; never shared by two agents). For every agent and pod count N:
  start_s     first manifest written -> every pod Running with its container
              running in the agent's /pods (polled every 100 ms); raw CRI:
              cri_baseline's wall time at the same concurrency
  teardown_s  manifests removed -> no task left in containerd
  exit_p50_ms / exit_p99_ms  a container's process killed (SIGKILL, at random
              moments) -> the agent's /pods no longer shows it running
  idle_rss_mib / idle_cpu_pct  the agent alone, before any pod; n_rss_mib /
              n_cpu_pct with the N pods running (CPU in % of one core over
              --settle seconds); start_cpu_pct / peak_rss_mib during the start
The agents' order rotates from one repetition to the next. Prints one
`RESULT agent=… n=… rep=… …` line per run and `RESULT summary agent=… n=…`
lines (medians and the worst case); with --out, writes results.json, a
markdown table and a chart (PNG, matplotlib).

With --api-writes N, also cluster mode (bench/api_writes.py): each agent
joins a fresh upstream control plane and starts N pods bound to it; the API
server counts the writes it made per pod (`RESULT api …` lines).

Run through scripts/bench.sh, which builds everything and passes the paths.
"""

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agents import Containerd, Cubelet, Kubelet, log, usage  # noqa: E402
from api_writes import ControlPlane, measure_api_writes  # noqa: E402
IMAGE = "docker.io/library/busybox:latest"
# SIGTERM ends the pod at once (a shell's trap), so teardown measures the
# agent, not a grace period; `sleep` in the background keeps it idle.
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]


def manifest(i):
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"bench-{i}", "namespace": "default"},
        "spec": {"hostNetwork": True,
                 "containers": [{"name": "app", "image": IMAGE, "imagePullPolicy": "Never",
                                 "command": COMMAND}]},
    })


def running(pods):
    count = 0
    for p in pods:
        if not p.get("metadata", {}).get("name", "").startswith("bench-"):
            continue
        statuses = p.get("status", {}).get("containerStatuses") or []
        if p.get("status", {}).get("phase") == "Running" and statuses and \
                all("running" in (s.get("state") or {}) for s in statuses):
            count += 1
    return count


def settle(pid, seconds):
    _, _, cpu0 = usage(pid)
    time.sleep(seconds)
    rss, _, cpu1 = usage(pid)
    return rss, 100.0 * (cpu1 - cpu0) / seconds


def measure_agent(cls, binary, n, containerd, args):
    work = tempfile.mkdtemp(prefix=f"cubelet-bench-{cls.name}-")
    agent = cls(binary, work, containerd.endpoint, args.concurrency)
    result = {"agent": cls.name, "n": n}
    try:
        agent.start()
        pid = agent.proc.pid
        result["idle_rss_mib"], result["idle_cpu_pct"] = settle(pid, args.settle)
        _, _, cpu0 = usage(pid)
        t0 = time.monotonic()
        for i in range(n):
            tmp = os.path.join(work, f".bench-{i}.json")
            with open(tmp, "w") as f:
                f.write(manifest(i))
            os.rename(tmp, os.path.join(agent.manifests, f"bench-{i}.json"))
        deadline = t0 + args.timeout
        while True:
            pods = agent.pods() or []
            if running(pods) >= n:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cls.name}: {running(pods)}/{n} running after "
                                   f"{args.timeout}s")
            time.sleep(0.1)
        result["start_s"] = time.monotonic() - t0
        _, hwm, cpu1 = usage(pid)
        result["start_cpu_pct"] = 100.0 * (cpu1 - cpu0) / result["start_s"]
        result["peak_rss_mib"] = hwm
        result["n_rss_mib"], result["n_cpu_pct"] = settle(pid, args.settle)
        result.update(exit_latency(agent, containerd, min(args.exits, n)))
        t0 = time.monotonic()
        for name in os.listdir(agent.manifests):
            os.remove(os.path.join(agent.manifests, name))
        while True:
            try:
                if not containerd.tasks():
                    break
            except subprocess.TimeoutExpired:
                pass  # containerd too busy stopping 1000 pods to list them: still busy
            if time.monotonic() - t0 > args.timeout:
                raise RuntimeError(f"{cls.name}: tasks left after {args.timeout}s")
            time.sleep(0.2)
        result["teardown_s"] = time.monotonic() - t0
    finally:
        agent.stop()
        shutil.rmtree(work, ignore_errors=True)
    return result


def is_pod(pod, i):
    """Static pods are named <name>-<node> by both agents."""
    name = pod.get("metadata", {}).get("name", "")
    return name == f"bench-{i}" or name.startswith(f"bench-{i}-")


def exit_latency(agent, containerd, exits):
    """Kills `exits` containers one at a time, each at a random moment, and
    times how long the agent's /pods takes to stop showing it running."""
    latencies = []
    rng = random.Random(7)
    for i in range(exits):
        time.sleep(rng.uniform(0.2, 1.2))  # a random phase of any periodic relist
        pod = next(p for p in agent.pods() or [] if is_pod(p, i))
        cid = pod["status"]["containerStatuses"][0]["containerID"].split("://")[-1]
        pid = containerd.tasks().get(cid)
        if pid is None:
            continue
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        while time.monotonic() - killed < 10:
            p = next((p for p in agent.pods() or [] if is_pod(p, i)), None)
            s = (p or {}).get("status", {}).get("containerStatuses") or [{}]
            if s[0].get("containerID", "").split("://")[-1] != cid or \
                    "running" not in (s[0].get("state") or {}):
                latencies.append(1000.0 * (time.monotonic() - killed))
                break
            time.sleep(0.01)
    latencies.sort()
    if not latencies:
        return {"exits": 0}
    return {"exits": len(latencies), "exit_p50_ms": latencies[len(latencies) // 2],
            "exit_p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]}


def measure_raw(binary, n, containerd, args):
    out = subprocess.run([binary, "--container-runtime-endpoint", containerd.endpoint,
                          "--pods", str(n), "--concurrency", str(args.concurrency),
                          "--host-network"], capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    kv = dict(part.split("=", 1) for part in line.split()[1:])
    return {"agent": "raw", "n": n, "start_s": float(kv["start_wall_s"]),
            "teardown_s": float(kv["teardown_s"])}


def fmt(v):
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cubelet")
    ap.add_argument("--kubelet")
    ap.add_argument("--cri-baseline")
    ap.add_argument("--pods", type=int, action="append")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--exits", type=int, default=30)
    ap.add_argument("--settle", type=float, default=10)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--containerd-dir", default="/var/lib/cubelet-bench-containerd")
    ap.add_argument("--agents", default="raw,cubelet,kubelet")
    ap.add_argument("--api-writes", type=int, default=0,
                    help="pods for the cluster-mode API writes measurement (0: skip)")
    ap.add_argument("--out")
    ap.add_argument("--from-results", nargs="+", metavar="RESULTS_JSON",
                    help="measure nothing: merge the runs of earlier results.json files and "
                         "write the summary, table and chart to --out")
    args = ap.parse_args()
    if args.from_results:
        return report_from(args.from_results, args.out or ".")
    if not (args.cubelet and args.kubelet and args.cri_baseline):
        ap.error("--cubelet, --kubelet and --cri-baseline are required to measure")
    sizes = args.pods or [100]
    containerd = Containerd(args.containerd_dir)
    agents = args.agents.split(",")
    results = []
    try:
        if args.api_writes:
            try:
                results.extend(api_writes(args, containerd, [a for a in agents if a != "raw"]))
            except Exception as e:  # noqa: BLE001 - the static runs still go on
                log(f"api writes failed: {e}")
        for n in sizes:
            for rep in range(args.reps):
                order = agents[rep % len(agents):] + agents[:rep % len(agents)]
                for name in order:
                    log(f"n={n} rep={rep + 1} {name}: fresh containerd")
                    try:
                        containerd.fresh()
                        if name == "raw":
                            r = measure_raw(args.cri_baseline, n, containerd, args)
                        else:
                            cls, binary = (Cubelet, args.cubelet) if name == "cubelet" else \
                                (Kubelet, args.kubelet)
                            r = measure_agent(cls, binary, n, containerd, args)
                    except Exception as e:  # noqa: BLE001 - one lost run, not the others
                        log(f"n={n} rep={rep + 1} {name} failed, left out: {e!r}")
                        continue
                    r["rep"] = rep + 1
                    results.append(r)
                    print("RESULT " + " ".join(f"{k}={fmt(v)}" for k, v in r.items()), flush=True)
    finally:
        containerd.stop()
    report(results, sizes, agents, args.out, keep_runs=True)


def report(results, sizes, agents, out, keep_runs):
    """Prints the summaries; with `out`, writes the table, the chart and
    (keep_runs) results.json there."""
    summary = summarize([r for r in results if "api_writes_per_pod" not in r], sizes, agents)
    api_summary = summarize_api([r for r in results if "api_writes_per_pod" in r])
    for s in summary:
        print("RESULT summary " + " ".join(f"{k}={fmt(v)}" for k, v in s.items()), flush=True)
    for s in api_summary:
        print("RESULT api-summary " + " ".join(f"{k}={fmt(v)}" for k, v in s.items()),
              flush=True)
    if not out:
        return
    os.makedirs(out, exist_ok=True)
    if keep_runs:
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump({"runs": results, "summary": summary, "api_summary": api_summary}, f,
                      indent=1)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table(summary))
        if api_summary:
            f.write("\n" + api_table(api_summary))
    chart(summary, sizes, agents, os.path.join(out, "side-by-side.png"))


def report_from(paths, out):
    """Summary, table and chart of earlier runs (several results.json files,
    e.g. the 100- and the 1000-pod runs), as a measuring run writes them."""
    runs = []
    for path in paths:
        with open(path) as f:
            runs.extend(json.load(f)["runs"])
    static = [r for r in runs if "api_writes_per_pod" not in r]
    sizes = sorted({r["n"] for r in static})
    agents = [a for a in ("raw", "cubelet", "kubelet") if any(r["agent"] == a for r in static)]
    report(runs, sizes, agents, out, keep_runs=False)


def api_writes(args, containerd, agents):
    """Cluster mode: API writes per pod started, each agent in turn (order
    rotating), on one control plane (started clean here, stopped after)."""
    cp = ControlPlane()
    out = []
    try:
        cp.start()
        for rep in range(args.reps):
            order = agents[rep % len(agents):] + agents[:rep % len(agents)]
            for name in order:
                log(f"api writes n={args.api_writes} rep={rep + 1} {name}: fresh containerd")
                containerd.fresh()
                cls, binary = (Cubelet, args.cubelet) if name == "cubelet" else \
                    (Kubelet, args.kubelet)
                work = tempfile.mkdtemp(prefix=f"cubelet-bench-api-{name}-")
                try:
                    r = measure_api_writes(cls, binary, args.api_writes, containerd, cp, args,
                                           work)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
                r["rep"] = rep + 1
                out.append(r)
                print("RESULT api " + " ".join(f"{k}={fmt(v)}" for k, v in r.items()),
                      flush=True)
    finally:
        cp.stop()
    return out


API_METRICS = ["api_start_s", "api_writes_per_pod", "status_writes_per_pod",
               "event_writes_per_pod", "node_writes_per_pod"]


def summarize_api(results):
    summary = []
    for agent in sorted({r["agent"] for r in results}):
        runs = [r for r in results if r["agent"] == agent]
        s = {"agent": agent, "n": runs[0]["n"], "reps": len(runs)}
        for m in API_METRICS:
            s[m] = statistics.median(r[m] for r in runs)
            s[m + "_worst"] = max(r[m] for r in runs)
        summary.append(s)
    return summary


def api_table(summary):
    cols = [("agent", "agent"), ("n", "pods"), ("api_start_s", "all Running in the API, s"),
            ("api_writes_per_pod", "writes per pod"),
            ("status_writes_per_pod", "pods/status writes per pod"),
            ("event_writes_per_pod", "event writes per pod"),
            ("node_writes_per_pod", "node + lease writes per pod")]
    lines = ["| " + " | ".join(c[1] for c in cols) + " |", "|" + "---|" * len(cols)]
    for s in summary:
        cells = [f"{s[k]:.2f} ({s[k + '_worst']:.2f})" if isinstance(s[k], float) else str(s[k])
                 for k, _ in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


METRICS = ["start_s", "teardown_s", "exit_p50_ms", "exit_p99_ms", "idle_rss_mib", "idle_cpu_pct",
           "n_rss_mib", "n_cpu_pct", "start_cpu_pct", "peak_rss_mib"]


def summarize(results, sizes, agents):
    summary = []
    for n in sizes:
        raw = [r["start_s"] for r in results if r["agent"] == "raw" and r["n"] == n]
        for agent in agents:
            runs = [r for r in results if r["agent"] == agent and r["n"] == n]
            if not runs:
                continue
            s = {"agent": agent, "n": n, "reps": len(runs)}
            for m in METRICS:
                values = [r[m] for r in runs if m in r]
                if values:
                    s[m] = statistics.median(values)
                    s[m + "_worst"] = max(values)  # every metric: more is worse
            if raw and "start_s" in s:
                s["ratio_vs_raw"] = s["start_s"] / statistics.median(raw)
            summary.append(s)
    return summary


def table(summary):
    cols = [("agent", "agent"), ("n", "pods"), ("start_s", "start s"),
            ("ratio_vs_raw", "× raw"), ("teardown_s", "teardown s"),
            ("exit_p50_ms", "exit p50 ms"), ("exit_p99_ms", "exit p99 ms"),
            ("idle_rss_mib", "idle RSS MiB"), ("n_rss_mib", "RSS MiB with N"),
            ("n_cpu_pct", "CPU % with N"), ("start_cpu_pct", "CPU % starting")]
    lines = ["| " + " | ".join(c[1] for c in cols) + " |",
             "|" + "---|" * len(cols)]
    for s in summary:
        cells = []
        for key, _ in cols:
            v = s.get(key, "—")
            if isinstance(v, float):
                worst = s.get(key + "_worst")
                cell = f"{v:.2f}" if v < 100 else f"{v:.0f}"
                if worst is not None and key != "ratio_vs_raw" and s["reps"] > 1:
                    cell += f" ({worst:.2f})" if worst < 100 else f" ({worst:.0f})"
                cells.append(cell)
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def chart(summary, sizes, agents, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no chart")
        return
    panels = [("start_s", "pods → all Running (s)"), ("teardown_s", "teardown (s)"),
              ("exit_p99_ms", "exit seen, p99 (ms)"), ("n_rss_mib", "agent RSS with N pods (MiB)")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6))
    width = 0.8 / len(agents)
    for ax, (metric, title) in zip(axes, panels):
        for j, agent in enumerate(agents):
            xs, ys = [], []
            for i, n in enumerate(sizes):
                s = next((s for s in summary if s["agent"] == agent and s["n"] == n), None)
                if s and metric in s:
                    xs.append(i + j * width)
                    ys.append(s[metric])
            ax.bar(xs, ys, width, label=agent)
        ax.set_xticks([i + width * (len(agents) - 1) / 2 for i in range(len(sizes))])
        ax.set_xticklabels([f"{n} pods" for n in sizes])
        ax.set_title(title, fontsize=10)
        if len(sizes) > 1:
            ax.set_yscale("log")  # 100 and 1000 pods on one axis
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
