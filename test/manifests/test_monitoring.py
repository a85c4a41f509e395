#!/usr/bin/python3
"""Checks manifests/monitoring, the kustomize Component, without a cluster.

The component is rendered on top of manifests/base with `kubectl kustomize`; the
ServiceMonitor must reach the pods' metrics port, the PrometheusRule must hold the alerts
issue 6 asks for, and the Grafana dashboard must be valid JSON. Every metric name used in
a PromQL expression (alerts and dashboard) must exist in the /metrics output of the real
server, started here.

    test_monitoring.py --repo-root DIR --binary build/feast-admission [unittest args]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

REPO = None
BINARY = None

METRIC_NAME = re.compile(r"\b((?:controller_runtime|feast_admission)_[a-zA-Z0-9_]+)\b")
# Issue 6: the alerts the PrometheusRule must have, by what they watch.
ALERT_METRICS = {
    "not ready": "feast_admission_ready",
    "p99 latency": "controller_runtime_webhook_latency_seconds_bucket",
    "error rate": "controller_runtime_webhook_requests_total",
    "denial spike": "feast_admission_decisions_total",
    "certificate expiry": "feast_admission_certificate_expiry_timestamp_seconds",
    "Secret cache": "feast_admission_secret_cache_synced",
}
# The dashboard's panels, by the metric each must show.
DASHBOARD_METRICS = {
    "requests": "controller_runtime_webhook_requests_total",
    "latency": "controller_runtime_webhook_latency_seconds_bucket",
    "in flight": "controller_runtime_webhook_requests_in_flight",
    "decisions by result": "feast_admission_decisions_total",
    "decisions by rule": "feast_admission_rule_hits_total",
    "cache state": "feast_admission_secret_cache_synced",
    "certificate expiry": "feast_admission_certificate_expiry_timestamp_seconds",
}


def render_with_component():
    """manifests/base plus the monitoring component, from a scratch copy of manifests/."""
    tmp = tempfile.mkdtemp(prefix="feast-monitoring-")
    try:
        shutil.copytree(os.path.join(REPO, "manifests"), os.path.join(tmp, "manifests"))
        overlay = os.path.join(tmp, "manifests", "overlays", "monitoring-test")
        os.makedirs(overlay)
        with open(os.path.join(overlay, "kustomization.yaml"), "w") as f:
            yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                            "resources": ["../../base"], "components": ["../../monitoring"]}, f)
        result = subprocess.run(["kubectl", "kustomize", overlay], capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"kubectl kustomize failed:\n{result.stderr}")
        return [d for d in yaml.safe_load_all(result.stdout) if d]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def one(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}")
    return found[0]


def scrape_real_server():
    """Sample and family names of /metrics from the real binary after one admission request."""
    tmp = tempfile.mkdtemp(prefix="feast-monitoring-server-")
    log_path = os.path.join(tmp, "server.log")
    proc = None
    try:
        certs = os.path.join(tmp, "certs")
        subprocess.run(["bash", os.path.join(REPO, "certs", "gen-certs.sh"), certs], check=True, capture_output=True)
        os.makedirs(os.path.join(tmp, "secrets"))
        with open(log_path, "w") as log:
            proc = subprocess.Popen([BINARY, "serve", "--bind-address", "127.0.0.1", "--port", "0",
                                     "--health-port", "0", "--metrics-port", "0", "--cert-dir", certs,
                                     "--secrets-dir", os.path.join(tmp, "secrets"), "--shutdown-delay", "0"],
                                    stdout=log, stderr=subprocess.STDOUT)
        metrics_port = None
        deadline = time.monotonic() + 5
        while metrics_port is None and time.monotonic() < deadline:
            with open(log_path) as f:
                for line in f:
                    entry = json.loads(line)
                    if entry.get("msg") == "listening":
                        metrics_port = entry["metricsPort"]
            time.sleep(0.05)
        if metrics_port is None:
            with open(log_path) as f:
                raise AssertionError(f"server did not start:\n{f.read()}")
        conn = http.client.HTTPConnection("127.0.0.1", metrics_port, timeout=5)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        names = set()
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                names.add(line.split()[2])
            elif line and not line.startswith("#"):
                names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
        return names
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


class MonitoringComponent(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.docs = render_with_component()
        cls.rule = one(cls.docs, "PrometheusRule")
        dashboard_map = one(cls.docs, "ConfigMap", "feast-admission-dashboard")
        cls.dashboard_labels = dashboard_map["metadata"].get("labels", {})
        cls.dashboard = json.loads(dashboard_map["data"]["feast-admission.json"])
        cls.alerts = {r["alert"]: r for g in cls.rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
        cls.dashboard_exprs = [t["expr"] for p in cls.dashboard["panels"] for t in p.get("targets", [])]
        cls.dashboard_exprs += [v["query"] for v in cls.dashboard.get("templating", {}).get("list", [])
                                if v.get("type") == "query"]

    def test_component_kind(self):
        with open(os.path.join(REPO, "manifests", "monitoring", "kustomization.yaml")) as f:
            k = yaml.safe_load(f)
        self.assertEqual(k["kind"], "Component")
        self.assertEqual(k["apiVersion"], "kustomize.config.k8s.io/v1alpha1")

    def test_service_monitor_reaches_the_pods_metrics_port(self):
        monitor = one(self.docs, "ServiceMonitor")
        services = [s for s in self.docs if s["kind"] == "Service" and all(
            s["metadata"].get("labels", {}).get(k) == v
            for k, v in monitor["spec"]["selector"]["matchLabels"].items())]
        self.assertEqual(len(services), 1, "the ServiceMonitor must select exactly one Service")
        service = services[0]
        self.assertEqual(service["metadata"]["namespace"], one(self.docs, "Deployment")["metadata"]["namespace"])
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        endpoint = monitor["spec"]["endpoints"][0]
        self.assertEqual(endpoint["path"], "/metrics")
        self.assertIn(endpoint["port"], ports)
        pod = one(self.docs, "Deployment")["spec"]["template"]
        pod_labels = pod["metadata"]["labels"]
        for k, v in service["spec"]["selector"].items():
            self.assertEqual(pod_labels.get(k), v, "the metrics Service selects no webhook pod")
        container_ports = {p["name"]: p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]}
        target = ports[endpoint["port"]]["targetPort"]
        self.assertIn(target, container_ports, "the metrics Service targets a port the container lacks")
        self.assertIn("--metrics-port=%d" % container_ports[target], pod["spec"]["containers"][0]["args"])

    def test_alerts_cover_the_issue(self):
        for what, metric in ALERT_METRICS.items():
            self.assertTrue(any(metric in a["expr"] for a in self.alerts.values()), f"no alert on {what} ({metric})")
        for name, alert in self.alerts.items():
            self.assertIn("severity", alert.get("labels", {}), name)
            self.assertIn("summary", alert.get("annotations", {}), name)
        latency = [a for a in self.alerts.values() if "latency_seconds_bucket" in a["expr"]]
        self.assertTrue(all("histogram_quantile(0.99" in a["expr"] for a in latency))

    def test_expressions_select_the_job_of_the_metrics_service(self):
        # prometheus-operator names the job after the Service the ServiceMonitor selects.
        service = [s for s in self.docs if s["kind"] == "Service"
                   and s["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "metrics"]
        self.assertEqual(len(service), 1)
        job = service[0]["metadata"]["name"]
        for expr in [a["expr"] for a in self.alerts.values()] + self.dashboard_exprs:
            for found in re.findall(r'job="([^"]*)"', expr):
                self.assertEqual(found, job, expr)

    def test_dashboard_is_grafana_json_with_the_panels(self):
        self.assertEqual(self.dashboard_labels.get("grafana_dashboard"), "1")
        self.assertIn("panels", self.dashboard)
        ids = [p["id"] for p in self.dashboard["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        for what, metric in DASHBOARD_METRICS.items():
            self.assertTrue(any(metric in e for e in self.dashboard_exprs), f"no panel shows {what} ({metric})")
        self.assertTrue(any("histogram_quantile(0.99" in e for e in self.dashboard_exprs))

    def test_every_promql_metric_exists_in_the_servers_metrics(self):
        if not BINARY:
            self.skipTest("the feast-admission target is not built")
        exposed = scrape_real_server()
        exprs = [a["expr"] for a in self.alerts.values()] + self.dashboard_exprs
        for expr in exprs:
            used = METRIC_NAME.findall(expr)
            self.assertTrue(used, f"expression uses no feast-admission metric: {expr}")
            for name in used:
                self.assertIn(name, exposed, f"{name} (in `{expr.strip()}`) is not in /metrics")


def main():
    global REPO, BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo-root", required=True)
    parser.add_argument("--binary")
    args, rest = parser.parse_known_args()
    REPO, BINARY = args.repo_root, args.binary
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
