#!/usr/bin/python3
"""Observability of the real feast-admission binary (SPEC section 7, issue 6).

A scripted mix of admission requests, then /metrics parsed by an independent parser
(prometheus_client's text parser, Debian python3-prometheus-client): request counters and
histogram counts per webhook and code, decisions per result and rule. The JSON log lines,
field by field, with no Secret value in them. SIGTERM: /readyz false first, the listener
open for --shutdown-delay, an in-flight request completed, exit 0. The expiry gauge
against `openssl x509 -enddate`; the 7-day warning; a stalled event loop failing /healthz.

    test_observability.py --binary build/feast-admission --gen-certs certs/gen-certs.sh
"""

import argparse
import calendar
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

BINARY = None
# FEAST_SERVER_WRAPPER (e.g. "valgrind --log-file=..."): the server runs under it
# (test/valgrind/run); startup and readiness then get more time.
WRAPPER = os.environ.get("FEAST_SERVER_WRAPPER", "").split()
START_LIMIT = 60 if WRAPPER else 5
GEN_CERTS = None

VALIDATE_V1 = "/validate-feast-dev-v1-featurestore"
VALIDATE_V1ALPHA1 = "/validate-feast-dev-v1alpha1-featurestore"
MUTATE_V1 = "/mutate-feast-dev-v1-featurestore"
MUTATE_V1ALPHA1 = "/mutate-feast-dev-v1alpha1-featurestore"
WEBHOOKS = (VALIDATE_V1, VALIDATE_V1ALPHA1, MUTATE_V1, MUTATE_V1ALPHA1)

POLICY = """\
apiVersion: feast-admission.dev/v1
kind: PersistencePolicy
rules:
  - name: deny-needs-store
    namespaces: ["deny-*"]
    enforcement: deny
    require:
      requireStore: [onlineStore]
  - name: warn-needs-store
    namespaces: ["warn-*"]
    enforcement: warn
    require:
      requireStore: [onlineStore]
"""

SECRET_VALUE = "s3cr3t-value-that-must-never-be-logged"
SECRET = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: online-store
  namespace: team-a
stringData:
  redis: |
    connection_string: redis:6379,password={SECRET_VALUE}
"""

DECISION_FIELDS = ("ts", "level", "msg", "webhook", "uid", "kind", "version", "namespace", "name",
                   "operation", "dryRun", "allowed", "rules", "patchOps", "latency_us")


def review(uid, namespace="team-a", version="v1", operation="CREATE", dry_run=False):
    obj = {"apiVersion": f"feast.dev/{version}", "kind": "FeatureStore",
           "metadata": {"name": "sample", "namespace": namespace},
           "spec": {"feastProject": "sample"}}
    return json.dumps({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "feast.dev", "version": version, "kind": "FeatureStore"},
            "resource": {"group": "feast.dev", "version": version, "resource": "featurestores"},
            "name": "sample", "namespace": namespace, "operation": operation,
            "userInfo": {"username": "kubernetes-admin"}, "dryRun": dry_run,
            "object": obj, "oldObject": None}})


class Server:
    """The real binary on ephemeral loopback ports; ports read from its "listening" line."""

    def __init__(self, tmp, cert_dir, extra=()):
        self.log_path = os.path.join(tmp, f"server-{time.monotonic_ns()}.log")
        self.log_file = open(self.log_path, "w")
        args = [*WRAPPER, BINARY, "serve", "--bind-address", "127.0.0.1", "--port", "0", "--health-port", "0",
                "--metrics-port", "0", "--cert-dir", cert_dir, "--threads", "2", *extra]
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.port = self.health_port = self.metrics_port = None
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline and self.proc.poll() is None:
            for entry in self.entries():
                if entry.get("msg") == "listening":
                    self.port, self.health_port = entry["port"], entry["healthPort"]
                    self.metrics_port = entry["metricsPort"]
                    return
            time.sleep(0.02)
        raise AssertionError(f"server did not start:\n{self.log()}")

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def lines(self):
        return [line for line in self.log().splitlines() if line.strip()]

    def entries(self):
        out = []
        for line in self.lines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def get(self, port, path):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def wait_ready(self, timeout=START_LIMIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(self.health_port, "/readyz")[0] == 200:
                return
            time.sleep(0.02)
        raise AssertionError(f"never ready:\n{self.log()}")

    def metrics(self):
        status, text = self.get(self.metrics_port, "/metrics")
        assert status == 200, status
        return text

    def samples(self):
        """{(name, frozenset(labels.items())): value} from the independent parser."""
        out = {}
        for family in text_string_to_metric_families(self.metrics()):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


def tls_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = True
    return ctx


def post(port, ca, path, body, content_type="application/json", method="POST"):
    conn = http.client.HTTPSConnection("localhost", port, context=tls_context(ca), timeout=5)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class Workspace:
    tmp = None
    certs = None

    @classmethod
    def setup(cls):
        if cls.tmp is None:
            cls.tmp = tempfile.mkdtemp(prefix="feast-observability-")
            cls.certs = os.path.join(cls.tmp, "certs")
            subprocess.run(["bash", GEN_CERTS, cls.certs], check=True, capture_output=True)
        return cls


class MetricsAfterAKnownLoad(unittest.TestCase):
    """One server, a scripted mix of requests, then the scrape."""

    # (path, body kind, expected code); "review" bodies carry (uid, namespace, version).
    MIX = [
        (VALIDATE_V1, ("v1", "team-a", "v1"), 200),
        (VALIDATE_V1, ("v2", "team-a", "v1"), 200),
        (VALIDATE_V1, ("v3", "deny-x", "v1"), 200),
        (VALIDATE_V1, ("v4", "warn-x", "v1"), 200),
        (VALIDATE_V1ALPHA1, ("v5", "warn-x", "v1alpha1"), 200),
        (MUTATE_V1, ("m1", "team-a", "v1"), 200),
        (MUTATE_V1, ("m2", "deny-x", "v1"), 200),
        (MUTATE_V1ALPHA1, ("m3", "team-a", "v1alpha1"), 200),
        (VALIDATE_V1, "not-json-type", 415),
        (VALIDATE_V1, "not-a-review", 400),
        (MUTATE_V1, "get", 405),
        ("/no-such-webhook", "review", 404),
    ]

    @classmethod
    def setUpClass(cls):
        ws = Workspace.setup()
        cls.secrets = os.path.join(ws.tmp, "secrets")
        os.makedirs(cls.secrets, exist_ok=True)
        with open(os.path.join(cls.secrets, "store.yaml"), "w") as f:
            f.write(SECRET)
        cls.policy = os.path.join(ws.tmp, "policy.yaml")
        with open(cls.policy, "w") as f:
            f.write(POLICY)
        cls.ca = os.path.join(ws.certs, "ca.crt")
        cls.server = Server(ws.tmp, ws.certs, ["--policy", cls.policy, "--secrets-dir", cls.secrets])
        cls.server.wait_ready()
        cls.answers = []
        for path, kind, expected in cls.MIX:
            if isinstance(kind, tuple):
                status, body = post(cls.server.port, cls.ca, path, review(kind[0], kind[1], kind[2]))
            elif kind == "not-json-type":
                status, body = post(cls.server.port, cls.ca, path, review("x"), content_type="text/plain")
            elif kind == "not-a-review":
                status, body = post(cls.server.port, cls.ca, path, '{"kind":"Pod"}')
            elif kind == "get":
                status, body = post(cls.server.port, cls.ca, path, "", method="GET")
            else:
                status, body = post(cls.server.port, cls.ca, path, review("z"))
            cls.answers.append((path, kind, expected, status, body))
        cls.samples = cls.server.samples()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_the_mix_got_the_expected_codes(self):
        for path, kind, expected, status, body in self.answers:
            self.assertEqual(status, expected, f"{path} {kind}: {body}")

    def test_requests_total_per_webhook_and_code(self):
        expected = {}
        for path, _, code, _, _ in self.answers:
            if path in WEBHOOKS:
                expected[(path, str(code))] = expected.get((path, str(code)), 0) + 1
        for webhook in WEBHOOKS:
            for code in ("200", "400", "405", "413", "415", "500"):
                self.assertEqual(
                    value(self.samples, "controller_runtime_webhook_requests_total", webhook=webhook, code=code),
                    expected.get((webhook, code), 0), f"{webhook} code {code}")

    def test_unknown_paths_make_no_series(self):
        for (name, labels) in self.samples:
            self.assertNotIn(("webhook", "/no-such-webhook"), labels, name)

    def test_latency_histogram_counts_every_request_per_webhook(self):
        for webhook in WEBHOOKS:
            sent = sum(1 for path, *_ in self.answers if path == webhook)
            count = value(self.samples, "controller_runtime_webhook_latency_seconds_count", webhook=webhook)
            self.assertEqual(count, sent, webhook)
            buckets = sorted(
                (float(dict(labels)["le"]), v) for (name, labels), v in self.samples.items()
                if name == "controller_runtime_webhook_latency_seconds_bucket" and ("webhook", webhook) in labels)
            self.assertEqual(buckets[-1], (float("inf"), sent))
            self.assertEqual([b[0] for b in buckets[:-1]],
                             [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
            counts = [b[1] for b in buckets]
            self.assertEqual(counts, sorted(counts), f"{webhook}: buckets are not cumulative")
            total = value(self.samples, "controller_runtime_webhook_latency_seconds_sum", webhook=webhook)
            self.assertGreater(total, 0 if sent else -1)
            self.assertLess(total, 5 * max(sent, 1))

    def test_nothing_in_flight_after_the_load(self):
        for webhook in WEBHOOKS:
            self.assertEqual(
                value(self.samples, "controller_runtime_webhook_requests_in_flight", webhook=webhook), 0)
            self.assertIn(("controller_runtime_webhook_requests_in_flight",
                           frozenset({"webhook": webhook}.items())), self.samples)

    def test_decisions_by_result(self):
        def decisions(webhook, result):
            return value(self.samples, "feast_admission_decisions_total", webhook=webhook,
                         operation="CREATE", result=result)
        self.assertEqual(decisions(VALIDATE_V1, "allowed"), 2)
        self.assertEqual(decisions(VALIDATE_V1, "denied"), 1)
        self.assertEqual(decisions(VALIDATE_V1, "warned"), 1)
        self.assertEqual(decisions(VALIDATE_V1ALPHA1, "warned"), 1)
        self.assertEqual(decisions(MUTATE_V1, "patched"), 2)
        self.assertEqual(decisions(MUTATE_V1ALPHA1, "patched"), 1)
        total = sum(v for (name, _), v in self.samples.items() if name == "feast_admission_decisions_total")
        self.assertEqual(total, sum(1 for *_, kind, _, _, _ in self.answers if isinstance(kind, tuple)))

    def test_rule_hits_name_the_policy_rule(self):
        self.assertEqual(value(self.samples, "feast_admission_rule_hits_total", webhook=VALIDATE_V1,
                               operation="CREATE", result="denied", rule="policy:deny-needs-store"), 1)
        self.assertEqual(value(self.samples, "feast_admission_rule_hits_total", webhook=VALIDATE_V1,
                               operation="CREATE", result="warned", rule="policy:warn-needs-store"), 1)

    def test_cache_policy_certificate_and_build_gauges(self):
        self.assertEqual(value(self.samples, "feast_admission_ready"), 1)
        self.assertEqual(value(self.samples, "feast_admission_secret_cache_synced"), 1)
        self.assertEqual(value(self.samples, "feast_admission_secret_cache_objects"), 1)
        self.assertEqual(value(self.samples, "feast_admission_namespace_cache_synced"), 1)
        last_sync = value(self.samples, "feast_admission_secret_cache_last_sync_timestamp_seconds")
        self.assertLessEqual(abs(last_sync - time.time()), 60)
        self.assertEqual(value(self.samples, "feast_admission_certificate_reloads_total"), 1)
        self.assertEqual(value(self.samples, "feast_admission_certificate_reload_failures_total"), 0)
        self.assertEqual(value(self.samples, "feast_admission_policy_reloads_total"), 0)
        infos = [dict(labels) for (name, labels) in self.samples if name == "feast_admission_build_info"]
        self.assertEqual(len(infos), 1)
        version = subprocess.run([BINARY, "version"], capture_output=True, text=True).stdout.split()[-1]
        self.assertEqual(infos[0]["version"], version)
        self.assertTrue(infos[0]["commit"])

    def test_every_family_has_help_and_type(self):
        text = self.server.metrics()
        helps = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP ")}
        types = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
        self.assertEqual(helps, types)
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name = line.split("{")[0].split(" ")[0]
                base = name
                for suffix in ("_bucket", "_sum", "_count"):
                    if name.endswith(suffix) and name[: -len(suffix)] in types:
                        base = name[: -len(suffix)]
                self.assertIn(base, types, line)

    def test_decision_log_lines_carry_every_field(self):
        entries = [e for e in self.server.entries() if e.get("msg") == "admission decision"]
        uids = {e["uid"] for e in entries}
        self.assertEqual(uids, {kind[0] for _, kind, *_ in self.answers if isinstance(kind, tuple)})
        for entry in entries:
            for field in DECISION_FIELDS:
                self.assertIn(field, entry, entry)
            self.assertEqual(entry["kind"], "FeatureStore")
            self.assertIsInstance(entry["latency_us"], int)
            self.assertIsInstance(entry["dryRun"], bool)
            self.assertIsInstance(entry["rules"], list)
        denied = [e for e in entries if e["uid"] == "v3"][0]
        self.assertFalse(denied["allowed"])
        self.assertIn("policy:deny-needs-store", denied["rules"])
        self.assertEqual(denied["namespace"], "deny-x")
        patched = [e for e in entries if e["uid"] == "m1"][0]
        self.assertGreater(patched["patchOps"], 0)

    def test_every_log_line_is_json_and_no_secret_value_appears(self):
        for line in self.server.lines():
            entry = json.loads(line)
            self.assertIn("ts", entry)
            self.assertIn("level", entry)
            self.assertIn("msg", entry)
        self.assertNotIn(SECRET_VALUE, self.server.log())
        self.assertNotIn(SECRET_VALUE, self.server.metrics())

    def test_lifecycle_lines(self):
        messages = [e["msg"] for e in self.server.entries()]
        for msg in ("starting", "policy loaded", "certificate loaded", "listening", "ready"):
            self.assertIn(msg, messages)
        self.assertLess(messages.index("listening"), messages.index("ready"))

    def test_the_secret_source_is_named_once(self):
        named = [e for e in self.server.entries() if "source" in e["msg"].lower()]
        self.assertEqual([e["msg"] for e in named], ["secret source"])
        self.assertEqual(named[0]["source"], "secrets dir " + self.secrets)

    def test_the_start_line_names_the_allocator_in_charge(self):
        starting = [e for e in self.server.entries() if e.get("msg") == "starting"][0]
        # The build links mimalloc (ctest passes FEAST_EXPECT_ALLOCATOR); under valgrind,
        # memcheck's own malloc replaces it and the server must say so.
        expected = os.environ.get("FEAST_EXPECT_ALLOCATOR", "libc")
        if os.environ.get("FEAST_SERVER_WRAPPER"):
            expected = "libc"
        if expected == "mimalloc":
            self.assertRegex(starting["allocator"], r"^mimalloc \d+\.\d+\.\d+$")
        else:
            self.assertEqual(starting["allocator"], "libc")


class ExpiryGauge(unittest.TestCase):

    def setUp(self):
        self.ws = Workspace.setup()

    def enddate(self, cert):
        out = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", cert],
                             capture_output=True, text=True, check=True).stdout.strip()
        return calendar.timegm(time.strptime(out.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z"))

    def test_expiry_gauge_equals_the_certificates_not_after(self):
        server = Server(self.ws.tmp, self.ws.certs)
        try:
            server.wait_ready()
            gauge = value(server.samples(), "feast_admission_certificate_expiry_timestamp_seconds")
            self.assertEqual(gauge, self.enddate(os.path.join(self.ws.certs, "tls.crt")))
            self.assertNotIn("expires within 7 days", server.log())
        finally:
            server.stop()

    def test_a_certificate_expiring_within_7_days_is_warned_about(self):
        certs = os.path.join(self.ws.tmp, "short-certs")
        os.makedirs(certs, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", os.path.join(certs, "tls.key"), "-out", os.path.join(certs, "tls.crt"),
                        "-days", "3", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                       check=True, capture_output=True)
        server = Server(self.ws.tmp, certs)
        try:
            server.wait_ready()
            warnings = [e for e in server.entries() if e["msg"] == "serving certificate expires within 7 days"]
            self.assertEqual(len(warnings), 1, server.log())
            self.assertEqual(warnings[0]["level"], "warning")
            not_after = self.enddate(os.path.join(certs, "tls.crt"))
            self.assertEqual(warnings[0]["notAfterUnix"], not_after)
            self.assertEqual(value(server.samples(), "feast_admission_certificate_expiry_timestamp_seconds"),
                             not_after)
        finally:
            server.stop()


class GracefulShutdown(unittest.TestCase):

    def setUp(self):
        self.ws = Workspace.setup()
        self.ca = os.path.join(self.ws.certs, "ca.crt")

    def connect(self, port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        return tls_context(self.ca).wrap_socket(sock, server_hostname="localhost")

    def test_readiness_off_first_then_listener_closes_and_in_flight_request_completes(self):
        delay = 1.0
        server = Server(self.ws.tmp, self.ws.certs, ["--shutdown-delay", str(delay)])
        try:
            server.wait_ready()
            body = review("in-flight").encode()
            # A request in flight: headers and half the body sent before SIGTERM.
            conn = self.connect(server.port)
            conn.sendall((f"POST {VALIDATE_V1} HTTP/1.1\r\nHost: localhost\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                         + body[: len(body) // 2])
            time.sleep(0.1)
            self.assertEqual(value(server.samples(), "controller_runtime_webhook_requests_in_flight",
                                   webhook=VALIDATE_V1), 1)
            signalled = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            # Readiness turns false at once...
            while server.get(server.health_port, "/readyz")[0] != 503:
                self.assertLess(time.monotonic() - signalled, 0.5, "readiness still true after SIGTERM")
                time.sleep(0.01)
            # ...while the listener still accepts new connections and serves them.
            self.assertLess(time.monotonic() - signalled, delay * 0.8)
            status, _ = post(server.port, self.ca, VALIDATE_V1, review("during-delay"))
            self.assertEqual(status, 200)
            # After the delay the listener is closed.
            refused = None
            while time.monotonic() - signalled < delay + 3:
                try:
                    socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                    time.sleep(0.05)
                except OSError:
                    refused = time.monotonic() - signalled
                    break
            self.assertIsNotNone(refused, "listener never closed")
            self.assertGreaterEqual(refused, delay * 0.9)
            self.assertIsNone(server.proc.poll(), "exited with a request in flight")
            # The in-flight request completes.
            conn.sendall(body[len(body) // 2:])
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
            conn.close()
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply)
            self.assertIn(b'"uid":"in-flight"', reply)
            self.assertEqual(server.proc.wait(timeout=5), 0)
            messages = [e["msg"] for e in server.entries()]
            off = messages.index("shutting down: readiness off")
            closed = messages.index("shutting down: listener closed, draining connections")
            self.assertLess(off, closed)
            self.assertLess(closed, messages.index("shutdown complete"))
        finally:
            server.stop()

    def test_shutdown_under_load_fails_no_request(self):
        server = Server(self.ws.tmp, self.ws.certs, ["--shutdown-delay", "0.5"])
        failures, successes = [], [0]
        stop = threading.Event()

        def client():
            # A client as the API server behaves: stop sending once endpoints drop the
            # pod, which the delay stands for; until then every request must succeed.
            while not stop.is_set():
                try:
                    status, _ = post(server.port, self.ca, VALIDATE_V1, review("load"))
                    if status != 200:
                        failures.append(status)
                    else:
                        successes[0] += 1
                except OSError as e:
                    failures.append(repr(e))
        try:
            server.wait_ready()
            threads = [threading.Thread(target=client) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(0.3)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)  # the endpoints update within the delay
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(failures, [])
            self.assertGreater(successes[0], 0)
            self.assertEqual(server.proc.wait(timeout=5), 0)
            # Decision lines wait for the end of their event-loop turn: none may be lost
            # when the server exits, and none written twice.
            decisions = [e for e in server.entries() if e["msg"] == "admission decision"]
            self.assertEqual(len(decisions), successes[0])
        finally:
            stop.set()
            server.stop()


class Liveness(unittest.TestCase):

    def test_an_idle_server_with_two_loops_stays_alive_past_the_heartbeat_limit(self):
        """With --threads 2 the second loop only beats when the control loop's tick posts
        it a stamp; an idle server must keep /healthz 200 beyond the 5 s heartbeat limit."""
        ws = Workspace.setup()
        server = Server(ws.tmp, ws.certs)
        try:
            server.wait_ready()
            deadline = time.monotonic() + 6.5
            while time.monotonic() < deadline:
                self.assertEqual(server.get(server.health_port, "/healthz"), (200, "ok\n"))
                time.sleep(0.5)
        finally:
            server.stop()

    def test_a_stalled_event_loop_fails_healthz(self):
        """The policy file becomes a FIFO: reading it blocks the control loop (a hung
        volume would); /healthz, answered by the other event loop, turns 503."""
        ws = Workspace.setup()
        policy = os.path.join(ws.tmp, "stall-policy.yaml")
        with open(policy, "w") as f:
            f.write(POLICY)
        server = Server(ws.tmp, ws.certs, ["--policy", policy])
        try:
            server.wait_ready()
            self.assertEqual(server.get(server.health_port, "/healthz")[0], 200)
            fifo = policy + ".fifo"
            os.mkfifo(fifo)
            os.replace(fifo, policy)
            deadline = time.monotonic() + 10
            while server.get(server.health_port, "/healthz")[0] == 200:
                self.assertLess(time.monotonic(), deadline, "healthz stayed 200 with the loop stalled")
                time.sleep(0.2)
            self.assertEqual(server.get(server.health_port, "/healthz"), (503, "event loop stalled\n"))
            with open(policy, "w") as f:  # unblocks the reader
                f.write(POLICY)
            deadline = time.monotonic() + 5
            while server.get(server.health_port, "/healthz")[0] != 200:
                self.assertLess(time.monotonic(), deadline, "healthz did not recover")
                time.sleep(0.1)
        finally:
            server.stop()


def main():
    global BINARY, GEN_CERTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--gen-certs", required=True)
    args, rest = parser.parse_known_args()
    BINARY, GEN_CERTS = args.binary, args.gen_certs
    try:
        unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
    finally:
        if Workspace.tmp:
            shutil.rmtree(Workspace.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
