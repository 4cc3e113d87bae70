#!/usr/bin/env python3
"""Offline check of the Kubernetes manifests: every file parses, the kustomization names files that exist, and the
DaemonSet, Service, ConfigMap and Secrets refer to each other and to the config as the server expects."""
import json
import pathlib
import sys

import yaml

here = pathlib.Path(__file__).resolve().parent
errors = []


def check(condition, message):
    if not condition:
        errors.append(message)


kustomization = yaml.safe_load((here / "kustomization.yaml").read_text())
docs = {}
for name in kustomization["resources"]:
    path = here / name
    check(path.is_file(), f"kustomization names {name}, which does not exist")
    if path.is_file():
        for doc in yaml.safe_load_all(path.read_text()):
            docs[(doc["kind"], doc["metadata"]["name"])] = doc
for generator in kustomization["configMapGenerator"]:
    for name in generator["files"]:
        check((here / name).is_file(), f"configMapGenerator names {name}, which does not exist")
config_maps = {g["name"]: {f: json.loads((here / f).read_text()) for f in g["files"]} for g in kustomization["configMapGenerator"]}

daemonset = docs.get(("DaemonSet", "fastntp"))
check(daemonset is not None, "no DaemonSet fastntp")
service = docs.get(("Service", "fastntp-nts-ke"))
check(service is not None, "no Service fastntp-nts-ke")
if daemonset and service:
    pod = daemonset["spec"]["template"]
    spec = pod["spec"]
    check(spec.get("hostNetwork") is True, "the DaemonSet must use the host network")
    check(daemonset["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(),
          "the DaemonSet selector does not match its pod labels")
    check(service["spec"]["selector"].items() <= pod["metadata"]["labels"].items(),
          "the Service selector does not match the DaemonSet's pods")
    container = next(c for c in spec["containers"] if c["name"] == "fastntp")
    ports = {p["name"]: p for p in container["ports"]}
    check(ports.get("ntp", {}).get("containerPort") == 123 and ports["ntp"].get("protocol") == "UDP", "no UDP port 123")
    for port in service["spec"]["ports"]:
        check(port["targetPort"] in ports, f"the Service targets port {port['targetPort']}, which the pod does not name")

    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {}
    for c in spec.get("initContainers", []) + spec["containers"]:
        for m in c["volumeMounts"]:
            check(m["name"] in volumes, f"{c['name']} mounts volume {m['name']}, which the pod does not define")
            mounts.setdefault(c["name"], []).append(m)
    for v in volumes.values():
        if "configMap" in v:
            check(v["configMap"]["name"] in config_maps, f"volume {v['name']} names ConfigMap {v['configMap']['name']}, which is not generated")
        if "secret" in v:
            check(v["secret"]["secretName"] in ("fastntp-fleet-key", "fastntp-tls"), f"unknown Secret {v['secret']['secretName']}")

    # The config the server reads, and the files it names, are where the mounts put them.
    config_mount = next(m for m in mounts["fastntp"] if m["name"] == "config")
    config = config_maps[volumes["config"]["configMap"]["name"]][config_mount["subPath"]]
    check(container["args"][container["args"].index("--config") + 1] == config_mount["mountPath"], "serve --config is not the mounted config")
    key_dirs = [m["mountPath"] for m in mounts["fastntp"] if m["name"] != "config"]
    init_targets = [a for c in spec.get("initContainers", []) for a in c.get("command", [])]
    for key in ("Cert", "Key", "KeyFile"):
        path = config["Nts"][key]
        check(any(path.startswith(d + "/") for d in key_dirs), f"Nts:{key} {path} is on no mounted volume")
        check(any(t.endswith("/" + pathlib.PurePath(path).name) for t in init_targets), f"Nts:{key} {path}: no init step copies it")
    metrics_port = int(config["Metrics"]["Listen"].rsplit(":", 1)[1])
    # Ready means synchronized and serving; started and alive only that every worker turns (see README, Monitoring).
    for probe, path in (("startupProbe", "/healthz/live"), ("readinessProbe", "/healthz"), ("livenessProbe", "/healthz/live")):
        get = container[probe]["httpGet"]
        check(get["path"] == path and get["port"] == metrics_port, f"{probe} is not {path} on the metrics port {metrics_port}")
        check(config["Metrics"]["Listen"].startswith(get.get("host", "") + ":"), f"{probe} does not probe the metrics address")

for e in errors:
    print(f"kubernetes: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"kubernetes: {len(docs)} manifests and {sum(len(f) for f in config_maps.values())} config file(s) parse and refer to each other")
