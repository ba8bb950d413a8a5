#!/usr/bin/env python3
"""Differential status tests: the upstream kubelet as the oracle.

Each scenario (oracle/scenarios/*.yaml: a pod, how long to watch it, and a
timeline of actions) runs under cubelet and under the upstream kubelet in
standalone mode, each alone on a fresh private containerd. The harness samples
/pods every 200 ms, keeps each pod's status normalised (no UIDs, container IDs
or timestamps) and compares the two records:
  - the sequence of pod phases, and of the pod's reason and message;
  - the final conditions (type, status, reason);
  - per container, the sequence of (state, reason, exit code, message,
    restart count) it went through;
  - the time each of those transitions happened after the manifest was
    written, within the scenario's tolerance (seconds).
A state shown for less than a second may be caught under one agent and missed
under the other: such blips are dropped, as are the states both agents pass
through on the way (Pending before another phase; ContainerCreating and
PodInitializing) and a container seen running for less than 2 s before it is
seen terminated (how long an agent shows a state that is already over is how
fast it sees the exit: compared through the terminated state's time).

Prints `RESULT scenario=… match=1|0 differences=…` per scenario, each
difference, and `RESULT scenarios=… matched=…`; --report writes a markdown
table. Run through scripts/differential.sh.

Scenario file:
  description: one line
  duration: 40            # seconds watched after the manifest is written
  tolerance: 2            # seconds allowed between the agents' transition times
  actions:                # optional
  - {at: 12, do: delete}            # remove the manifest (graceful deletion)
  - {at: 5, do: kill, container: c} # SIGKILL the container's process
  pod: {apiVersion: v1, kind: Pod, ...}
"""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts", "lib"))
from agents import Containerd, Cubelet, Kubelet, log  # noqa: E402

SAMPLE_S = 0.2
BLIP_S = 1.0
RUN_BLIP_S = 2.0
TRANSIENT = {("waiting", "ContainerCreating"), ("waiting", "PodInitializing")}
# UIDs (cubelet's in the UUID layout, the kubelet's plain hex: both hash the
# manifest, differently) and container IDs differ by nature.
ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-(?:[0-9a-f]{12}|<id>)|"
                r"\b[0-9a-f]{12,64}\b")


def normalise_message(message):
    return ID.sub("<id>", message or "")[:200]


def normalise(pod):
    """What is compared of a pod's status."""
    if pod is None:
        return {"absent": True}
    status = pod.get("status") or {}
    containers = []
    for kind, key in (("init", "initContainerStatuses"), ("app", "containerStatuses")):
        for cs in sorted(status.get(key) or [], key=lambda c: c.get("name", "")):
            state = cs.get("state") or {}
            name = next(iter(state), "none")
            detail = state.get(name) or {}
            containers.append({
                "container": f"{kind}/{cs.get('name')}",
                "state": name,
                "reason": detail.get("reason", ""),
                "exitCode": detail.get("exitCode"),
                "message": normalise_message(detail.get("message")),
                "restartCount": cs.get("restartCount", 0),
                "ready": cs.get("ready", False),
            })
    conditions = sorted((c.get("type"), c.get("status"), c.get("reason", ""))
                        for c in status.get("conditions") or [])
    return {"phase": status.get("phase", ""), "reason": status.get("reason", ""),
            "message": normalise_message(status.get("message")), "conditions": conditions,
            "containers": containers}


def find_pod(pods, name):
    for p in pods or []:
        n = p.get("metadata", {}).get("name", "")
        if n == name or n.startswith(name + "-"):
            return p
    return None


def run_scenario(cls, binary, scenario, containerd, args):
    """The agent's record: [(t, normalised status)] at each change."""
    containerd.fresh()
    work = tempfile.mkdtemp(prefix=f"cubelet-diff-{cls.name}-")
    agent = cls(binary, work, containerd.endpoint, 4)
    pod = scenario["pod"]
    name = pod["metadata"]["name"]
    path = os.path.join(agent.manifests, f"{name}.yaml")
    record = []
    try:
        agent.start()
        actions = sorted(scenario.get("actions") or [], key=lambda a: a["at"])
        with open(path, "w") as f:
            yaml.safe_dump(pod, f)
        t0 = time.monotonic()
        last = None
        while (t := time.monotonic() - t0) < scenario["duration"]:
            while actions and actions[0]["at"] <= t:
                act(actions.pop(0), agent, containerd, path, name)
            found = find_pod(agent.pods(), name)
            if found is None and last is None:
                time.sleep(SAMPLE_S)  # not seen yet: the agent has not read the file
                continue
            snapshot = normalise(found)
            if snapshot != last:
                record.append((round(t, 2), snapshot))
                last = snapshot
            time.sleep(SAMPLE_S)
    finally:
        agent.stop()
        shutil.rmtree(work, ignore_errors=True)
    return record


def act(action, agent, containerd, path, name):
    if action["do"] == "delete":
        os.remove(path)
    elif action["do"] == "kill":
        pod = find_pod(agent.pods(), name) or {}
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if cs.get("name") == action["container"]:
                cid = cs.get("containerID", "").split("://")[-1]
                pid = containerd.tasks().get(cid)
                if pid:
                    os.kill(pid, signal.SIGKILL)
    else:
        raise ValueError(f"unknown action {action}")


def sequences(record):
    """Per aspect, the list of (value, first time seen): consecutive repeats,
    transient waiting states and blips (a value shown for less than BLIP_S,
    which sampling may catch under one agent and miss under the other)
    dropped."""
    raw = {}

    def push(key, value, t):
        seq = raw.setdefault(key, [])
        if not seq or seq[-1][0] != value:
            seq.append((value, t))

    for t, snap in record:
        if snap.get("absent"):
            push("pod", "absent", t)
            continue
        push("phase", snap["phase"], t)
        # A rejection or an eviction says why (status.reason and .message).
        push("pod reason", (snap.get("reason", ""), snap.get("message", "")), t)
        for c in snap["containers"]:
            if (c["state"], c["reason"]) in TRANSIENT:
                continue
            value = (c["state"], c["reason"], c["exitCode"], normalise_message(c["message"]),
                     c["restartCount"])
            push(c["container"], value, t)
    seqs = {}
    for key, seq in raw.items():
        kept = []
        for i, (value, t) in enumerate(seq):
            if i + 1 < len(seq) and seq[i + 1][1] - t < BLIP_S:
                continue
            # Pending on the way to another phase, and a container seen
            # running for less than RUN_BLIP_S before it is seen terminated:
            # how long an agent shows a state that is already over is how
            # fast it sees exits, compared through the terminated state's time.
            if key == "phase" and value == "Pending" and i + 1 < len(seq):
                continue
            if isinstance(value, tuple) and value[0] == "running" and i + 1 < len(seq) and \
                    seq[i + 1][0][0] == "terminated" and seq[i + 1][0][4] == value[4] and \
                    seq[i + 1][1] - t < RUN_BLIP_S:
                continue
            if not kept or kept[-1][0] != value:
                kept.append((value, t))
        seqs[key] = kept
    final = next((s for _, s in reversed(record) if not s.get("absent")), None)
    if final:
        seqs["conditions (final)"] = [(tuple(map(tuple, final["conditions"])), None)]
    return seqs


def compare(ours, theirs, tolerance):
    a, b = sequences(ours), sequences(theirs)
    diffs = []
    for key in sorted(set(a) | set(b)):
        va = [v for v, _ in a.get(key, [])]
        vb = [v for v, _ in b.get(key, [])]
        if va != vb:
            diffs.append(f"{key}: cubelet {show(va)} / kubelet {show(vb)}")
            continue
        for (v, ta), (_, tb) in zip(a[key], b[key]):
            if ta is not None and tb is not None and abs(ta - tb) > tolerance:
                diffs.append(f"{key}: {show([v])} at {ta:.1f}s under cubelet, {tb:.1f}s under "
                             f"the kubelet (tolerance {tolerance}s)")
    return diffs


def show(values):
    out = []
    for v in values:
        if isinstance(v, tuple) and len(v) == 5 and isinstance(v[0], str):
            state, reason, code, message, restarts = v
            s = state + (f"/{reason}" if reason else "")
            if code is not None:
                s += f" exit={code}"
            if message:
                s += f" msg={message[:40]!r}"
            s += f" restarts={restarts}"
            out.append(s)
        else:
            out.append(str(v))
    return "[" + ", ".join(out) + "]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cubelet", required=True)
    ap.add_argument("--kubelet", required=True)
    ap.add_argument("--containerd-dir", default="/var/lib/cubelet-bench-containerd")
    ap.add_argument("--report")
    ap.add_argument("--records", help="directory for each agent's raw record (JSON)")
    ap.add_argument("--require-match", action="store_true",
                    help="exit 1 unless every scenario matches (the CI subset)")
    ap.add_argument("--retries", type=int, default=0,
                    help="run a scenario that differs again, up to this many times: both agents' "
                         "timings move with the machine's load, and the kubelet is the oracle "
                         "(every attempt's differences are printed)")
    ap.add_argument("--compare-only", action="store_true",
                    help="compare the records already in --records instead of running")
    ap.add_argument("scenarios", nargs="*")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    files = args.scenarios or sorted(glob.glob(os.path.join(here, "scenarios", "*.yaml")))
    containerd = Containerd(args.containerd_dir)
    rows, matched = [], 0
    try:
        for path in files:
            name = os.path.splitext(os.path.basename(path))[0]
            with open(path) as f:
                scenario = yaml.safe_load(f)
            if args.compare_only:
                with open(os.path.join(args.records, f"{name}.json")) as f:
                    saved = json.load(f)
                ours, theirs = saved["cubelet"], saved["kubelet"]
            else:
                for attempt in range(1 + args.retries):
                    if attempt:
                        log(f"{name}: differed; attempt {attempt + 1} of {1 + args.retries}")
                        for d in diffs:
                            print(f"  (attempt {attempt}) {d}", flush=True)
                    log(f"{name}: cubelet")
                    ours = run_scenario(Cubelet, args.cubelet, scenario, containerd, args)
                    log(f"{name}: kubelet")
                    theirs = run_scenario(Kubelet, args.kubelet, scenario, containerd, args)
                    diffs = compare(ours, theirs, scenario.get("tolerance", 2))
                    if not diffs:
                        break
            if args.records and not args.compare_only:
                os.makedirs(args.records, exist_ok=True)
                with open(os.path.join(args.records, f"{name}.json"), "w") as f:
                    json.dump({"cubelet": ours, "kubelet": theirs}, f, indent=1)
            diffs = compare(ours, theirs, scenario.get("tolerance", 2))
            matched += not diffs
            print(f"RESULT scenario={name} match={int(not diffs)} differences={len(diffs)}",
                  flush=True)
            for d in diffs:
                print(f"  {d}", flush=True)
            rows.append((name, scenario.get("description", ""), diffs))
    finally:
        if not args.compare_only:
            containerd.stop()
    print(f"RESULT scenarios={len(rows)} matched={matched}")
    if args.report:
        with open(args.report, "w") as f:
            f.write("| scenario | what | result |\n|---|---|---|\n")
            for name, desc, diffs in rows:
                result = "same" if not diffs else "<br>".join(d.replace("|", "\\|") for d in diffs)
                f.write(f"| `{name}` | {desc} | {result} |\n")
    return 1 if args.require_match and matched < len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
