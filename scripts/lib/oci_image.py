#!/usr/bin/env python3
"""Write a single-layer OCI image archive from a root filesystem directory.

Stdlib only. Output is deterministic: the same rootfs (same paths, modes,
contents and symlink targets) and options always give the same bytes, so the
printed manifest digest can be compared with what containerd already holds.

  oci_image.py --rootfs DIR --ref docker.io/library/busybox:latest \
      --out busybox.tar [--entrypoint '["/pause"]'] [--cmd '["sh"]'] \
      [--env K=V ...] [--workdir /] [--user 1234] [--arch amd64]

Layer: gzip'd tar, entries sorted by path, owner 0:0, mtime 0. Config:
rootfs.diff_ids = sha256 of the uncompressed tar. The archive is an OCI image
layout (oci-layout, index.json, blobs/sha256/*) with the annotation
io.containerd.image.name=<ref>, ready for `ctr images import`.
Prints the manifest digest ("sha256:...") on stdout.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import stat
import sys
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_INDEX = "application/vnd.oci.image.index.v1+json"

ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64",
          "arm64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
          "s390x": "s390x", "riscv64": "riscv64"}


def die(msg):
    print("oci_image.py: " + msg, file=sys.stderr)
    sys.exit(1)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def tar_info(name, typ, mode, size=0, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.mode = mode
    ti.size = size
    ti.linkname = linkname
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.mtime = 0
    return ti


def layer_tar(rootfs):
    """Uncompressed layer tar of rootfs, entries sorted, normalised metadata."""
    paths = []
    for dirpath, dirnames, filenames in os.walk(rootfs):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            paths.append(os.path.relpath(full, rootfs))
    paths.sort()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in paths:
            full = os.path.join(rootfs, rel)
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode)
            name = rel.replace(os.sep, "/")
            if stat.S_ISLNK(st.st_mode):
                tar.addfile(tar_info(name, tarfile.SYMTYPE, 0o777,
                                     linkname=os.readlink(full)))
            elif stat.S_ISDIR(st.st_mode):
                tar.addfile(tar_info(name, tarfile.DIRTYPE, mode))
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    data = f.read()
                tar.addfile(tar_info(name, tarfile.REGTYPE, mode, len(data)),
                            io.BytesIO(data))
            else:
                die("unsupported file type in rootfs: " + full)
    return buf.getvalue()


def tag_of(ref):
    last = ref.rsplit("/", 1)[-1].split("@", 1)[0]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def gzip_bytes(data):
    buf = io.BytesIO()
    # mtime=0 and an empty file name keep the gzip header deterministic.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0,
                       compresslevel=6) as gz:
        gz.write(data)
    return buf.getvalue()


def build(args):
    if not os.path.isdir(args.rootfs):
        die("rootfs is not a directory: " + args.rootfs)
    arch = args.arch or ARCHES.get(platform.machine())
    if not arch:
        die("unknown machine %r: pass --arch" % platform.machine())

    raw = layer_tar(args.rootfs)
    layer = gzip_bytes(raw)

    cfg = {"Env": args.env or
           ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    if args.entrypoint:
        cfg["Entrypoint"] = json.loads(args.entrypoint)
    if args.cmd:
        cfg["Cmd"] = json.loads(args.cmd)
    if args.workdir:
        cfg["WorkingDir"] = args.workdir
    if args.user:
        cfg["User"] = args.user
    if args.label:
        cfg["Labels"] = dict(kv.split("=", 1) for kv in args.label)
    config = canonical_json({
        "architecture": arch,
        "os": "linux",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [sha256(raw)]},
        "history": [{"created_by": "cubelet scripts/lib/oci_image.py"}],
    })
    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": sha256(config),
                   "size": len(config)},
        "layers": [{"mediaType": MT_LAYER, "digest": sha256(layer),
                    "size": len(layer)}],
    })
    mdigest = sha256(manifest)
    index = canonical_json({
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [{
            "mediaType": MT_MANIFEST,
            "digest": mdigest,
            "size": len(manifest),
            "platform": {"architecture": arch, "os": "linux"},
            "annotations": {
                "io.containerd.image.name": args.ref,
                "org.opencontainers.image.ref.name": tag_of(args.ref),
            },
        }],
    })
    layout = canonical_json({"imageLayoutVersion": "1.0.0"})

    entries = [("oci-layout", layout), ("index.json", index)]
    for blob in (config, manifest, layer):
        entries.append(("blobs/sha256/" + sha256(blob)[7:], blob))

    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for d in ("blobs", "blobs/sha256"):
                tar.addfile(tar_info(d, tarfile.DIRTYPE, 0o755))
            for name, data in entries:
                tar.addfile(tar_info(name, tarfile.REGTYPE, 0o644, len(data)),
                            io.BytesIO(data))
    os.replace(tmp, args.out)
    print(mdigest)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rootfs", required=True, help="root filesystem directory")
    p.add_argument("--ref", required=True, help="full image reference")
    p.add_argument("--out", required=True, help="archive file to write")
    p.add_argument("--entrypoint", help="JSON array")
    p.add_argument("--cmd", help="JSON array")
    p.add_argument("--env", action="append", help="K=V (repeatable)")
    p.add_argument("--workdir")
    p.add_argument("--user", help="the image's USER (uid[:gid] or name)")
    p.add_argument("--label", action="append", help="K=V (repeatable): the config's Labels")
    p.add_argument("--arch", help="OCI architecture (default: this machine)")
    build(p.parse_args())


if __name__ == "__main__":
    main()
