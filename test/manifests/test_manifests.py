#!/usr/bin/python3
"""Checks the deployment (manifests/, Dockerfile, .ci/) field by field, without a cluster.

Every overlay is rendered with `kubectl kustomize` and the result is read as a cluster
would read it: the webhooks must call routes the server serves, on ports it listens on,
with a certificate the API server trusts; the pod must be hardened and least-privileged.
When the built binary is given, its `serve --help` and a live run of the Deployment's own
arguments are the reference for flags, defaults, routes and probe paths.

    test_manifests.py --repo-root DIR [--binary build/feast-admission] [unittest args]
"""

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

REPO = None    # set in main()
BINARY = None  # set in main(); None when the server target is not built

NAMESPACE = "feast-admission-system"
OVERLAYS = ("cert-manager", "plain")
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
FEATURESTORE_VERSIONS = {"v1", "v1alpha1"}
ADMISSION_REVIEW_VERSIONS = ["v1", "v1beta1"]
# SPEC section 5: the routes and the flag defaults of `feast-admission serve`.
SERVER_ROUTES = {
    "/mutate-feast-dev-v1-featurestore": "mutate",
    "/mutate-feast-dev-v1alpha1-featurestore": "mutate",
    "/validate-feast-dev-v1-featurestore": "validate",
    "/validate-feast-dev-v1alpha1-featurestore": "validate",
}
SPEC_DEFAULTS = {
    "--port": "9443",
    "--cert-dir": "/tmp/k8s-webhook-server/serving-certs",
    "--health-port": "8081",
}
# Which flag serves which named container port.
PORT_FLAGS = {"webhook": "--port", "health": "--health-port", "metrics": "--metrics-port"}
# Benchmark figures (SPEC section 8): peak RSS the memory request must cover.
PEAK_RSS_BYTES = 12 * 2**20
# Packages every debian:bookworm-slim image already has.
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}


# ---------------------------------------------------------------------------------------
# Rendering

class Rendered:
    """The objects of one `kubectl kustomize` run, looked up by kind and name."""

    def __init__(self, docs):
        self.docs = [d for d in docs if d]

    def all(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind, name=None):
        found = [d for d in self.all(kind) if name is None or d["metadata"]["name"] == name]
        if len(found) != 1:
            names = [d["metadata"]["name"] for d in self.all(kind)]
            raise AssertionError(f"expected exactly one {kind} named {name or '*'}, found {names}")
        return found[0]

    def deployment(self):
        return self.one("Deployment")

    def pod(self):
        return self.deployment()["spec"]["template"]["spec"]

    def container(self):
        containers = self.pod()["containers"]
        if len(containers) != 1:
            raise AssertionError(f"expected one container, found {[c['name'] for c in containers]}")
        return containers[0]

    def args(self):
        return parse_args(self.container().get("args", []))

    def volume_for_mount(self, mount_path):
        mounts = [m for m in self.container().get("volumeMounts", []) if m["mountPath"] == mount_path]
        if len(mounts) != 1:
            raise AssertionError(f"expected one volume mounted at {mount_path}, found {mounts}")
        volumes = [v for v in self.pod().get("volumes", []) if v["name"] == mounts[0]["name"]]
        if len(volumes) != 1:
            raise AssertionError(f"volume {mounts[0]['name']} mounted at {mount_path} is not defined")
        return mounts[0], volumes[0]

    def webhook_configs(self):
        return self.all("MutatingWebhookConfiguration") + self.all("ValidatingWebhookConfiguration")


def kubectl():
    path = shutil.which("kubectl")
    if path is None:
        raise AssertionError("kubectl is not on PATH; it renders the overlays (kubectl kustomize)")
    return path


def render(directory):
    result = subprocess.run([kubectl(), "kustomize", directory], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return Rendered(list(yaml.safe_load_all(result.stdout)))


def parse_args(args):
    """['--port=9443', '--x', 'y'] -> {'--port': '9443', '--x': 'y'}; a bare flag maps to None."""
    flags, i = {}, 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise AssertionError(f"container argument {arg!r} is not a --flag")
        if "=" in arg:
            name, value = arg.split("=", 1)
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            name, value = arg, args[i + 1]
            i += 1
        else:
            name, value = arg, None
        if name in flags:
            raise AssertionError(f"flag {name} is given twice")
        flags[name] = value
        i += 1
    return flags


def parse_quantity(text):
    """Kubernetes quantity to a number (bytes for memory, cores for cpu)."""
    suffixes = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6,
                "G": 1e9, "T": 1e12, "m": 1e-3, "": 1}
    match = re.fullmatch(r"([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T|m|)", str(text))
    if not match:
        raise AssertionError(f"not a quantity: {text!r}")
    return float(match.group(1)) * suffixes[match.group(2)]


def selector_matches(selector, labels):
    """A metav1.LabelSelector evaluated against a label map."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise AssertionError(f"unknown selector operator {op}")
    return True


def namespace_labels(name):
    # The API server sets this label on every Namespace (Kubernetes >= 1.21).
    return {"kubernetes.io/metadata.name": name}


# ---------------------------------------------------------------------------------------
# Certificates and the workspace every test renders from

def generate_certs(directory, namespace):
    """certs/gen-certs.sh when it exists (the plain overlay's documented source), else openssl."""
    os.makedirs(directory, exist_ok=True)
    script = os.path.join(REPO, "certs", "gen-certs.sh")
    if os.access(script, os.X_OK):
        result = subprocess.run([script, directory, namespace], capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"certs/gen-certs.sh failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout
    openssl_certs(directory, namespace)
    return None


def openssl_certs(directory, namespace):
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    sans = (f"DNS:feast-admission.{namespace}.svc,DNS:feast-admission.{namespace}.svc.cluster.local,"
            "DNS:localhost,IP:127.0.0.1")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=feast-admission")
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write(f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tls.crt", "-days", "2", "-extfile", "ext.cnf")


class Workspace:
    """A copy of manifests/ with certificates in overlays/plain/certs, rendered once."""

    tmp = None
    gen_certs_stdout = None
    rendered = {}

    @classmethod
    def setup(cls):
        cls.tmp = tempfile.mkdtemp(prefix="feast-manifests-")
        shutil.copytree(os.path.join(REPO, "manifests"), os.path.join(cls.tmp, "manifests"),
                        ignore=shutil.ignore_patterns("certs"))
        cls.certs = os.path.join(cls.tmp, "manifests", "overlays", "plain", "certs")
        cls.gen_certs_stdout = generate_certs(cls.certs, NAMESPACE)
        cls.rendered = {}

    @classmethod
    def overlay_dir(cls, overlay):
        return os.path.join(cls.tmp, "manifests", "overlays", overlay)

    @classmethod
    def render(cls, overlay):
        if overlay not in cls.rendered:
            cls.rendered[overlay] = render(cls.overlay_dir(overlay))
        return cls.rendered[overlay]

    @classmethod
    def teardown(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)


def setUpModule():
    Workspace.setup()


def tearDownModule():
    Workspace.teardown()


def read(path):
    with open(os.path.join(REPO, path)) as f:
        return f.read()


# ---------------------------------------------------------------------------------------
# What both overlays must render

class OverlayChecks:
    """Mixed into one TestCase per overlay; `overlay` names it."""

    overlay = None

    def setUp(self):
        self.r = Workspace.render(self.overlay)

    # -- namespace and placement

    def test_namespace_exists_and_holds_every_namespaced_object(self):
        ns = self.r.one("Namespace", NAMESPACE)
        self.assertEqual(ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce"), "restricted",
                         "the namespace should enforce the restricted Pod Security Standard")
        cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding",
                          "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
        for doc in self.r.docs:
            if doc["kind"] in cluster_scoped:
                self.assertNotIn("namespace", doc["metadata"], f"{doc['kind']} is cluster-scoped")
            else:
                self.assertEqual(doc["metadata"].get("namespace"), NAMESPACE,
                                 f"{doc['kind']}/{doc['metadata']['name']} is not in {NAMESPACE}")

    # -- RBAC

    def test_rbac_is_exactly_read_secrets_and_namespaces(self):
        self.assertEqual(self.r.all("Role"), [], "no namespaced Role expected")
        self.assertEqual(self.r.all("RoleBinding"), [], "no RoleBinding expected")
        role = self.r.one("ClusterRole")
        grants = set()
        for rule in role["rules"]:
            self.assertEqual(set(rule), {"apiGroups", "resources", "verbs"},
                             f"unexpected rule fields (resourceNames, nonResourceURLs?): {rule}")
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    for verb in rule["verbs"]:
                        grants.add((group, resource, verb))
        expected = {("", res, verb) for res in ("secrets", "namespaces") for verb in ("get", "list", "watch")}
        self.assertEqual(grants, expected, "ClusterRole must grant get/list/watch on secrets and namespaces only")

    def test_rbac_binds_the_role_to_the_pods_service_account(self):
        role = self.r.one("ClusterRole")
        sa = self.r.one("ServiceAccount")
        bindings = self.r.all("ClusterRoleBinding")
        self.assertEqual(len(bindings), 1, "one ClusterRoleBinding expected")
        binding = bindings[0]
        self.assertEqual(binding["roleRef"], {"apiGroup": "rbac.authorization.k8s.io",
                                              "kind": "ClusterRole", "name": role["metadata"]["name"]})
        self.assertEqual(binding["subjects"], [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                                "namespace": NAMESPACE}])
        self.assertEqual(self.r.pod()["serviceAccountName"], sa["metadata"]["name"])

    # -- service-account token: only where it is needed

    def test_token_is_projected_explicitly_and_not_automounted(self):
        sa = self.r.one("ServiceAccount")
        self.assertIs(sa.get("automountServiceAccountToken"), False,
                      "the ServiceAccount should not auto-mount tokens into every pod using it")
        self.assertIs(self.r.pod().get("automountServiceAccountToken"), False,
                      "the pod should not auto-mount; it projects the token explicitly")
        mount, volume = self.r.volume_for_mount("/var/run/secrets/kubernetes.io/serviceaccount")
        self.assertTrue(mount.get("readOnly"), "token mount must be read-only")
        sources = volume["projected"]["sources"]
        tokens = [s["serviceAccountToken"] for s in sources if "serviceAccountToken" in s]
        self.assertEqual(len(tokens), 1, "exactly one projected service-account token")
        self.assertEqual(tokens[0]["path"], "token")
        self.assertNotIn("audience", tokens[0], "the API server's default audience is needed")
        self.assertLessEqual(tokens[0].get("expirationSeconds", 3600), 3607, "short-lived token")
        files = {item["path"] for s in sources for key in ("configMap", "downwardAPI")
                 for item in s.get(key, {}).get("items", [])}
        self.assertEqual(files, {"ca.crt", "namespace"}, "the in-cluster client also needs ca.crt and namespace")

    # -- the pod

    def test_two_replicas_spread_across_nodes_with_a_disruption_budget(self):
        deployment = self.r.deployment()
        self.assertEqual(deployment["spec"]["replicas"], 2)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(selector_matches(deployment["spec"]["selector"], pod_labels))
        spreads = [c for c in self.r.pod().get("topologySpreadConstraints", [])
                   if c["topologyKey"] == "kubernetes.io/hostname"]
        self.assertEqual(len(spreads), 1, "a topology spread constraint across nodes")
        self.assertEqual(spreads[0]["maxSkew"], 1)
        self.assertTrue(selector_matches(spreads[0]["labelSelector"], pod_labels),
                        "the spread constraint must select the Deployment's pods")
        pdb = self.r.one("PodDisruptionBudget")
        self.assertTrue(selector_matches(pdb["spec"]["selector"], pod_labels), "the PDB must select the pods")
        if "minAvailable" in pdb["spec"]:
            self.assertTrue(1 <= pdb["spec"]["minAvailable"] < 2, "minAvailable must keep one and allow one")
        else:
            self.assertEqual(pdb["spec"]["maxUnavailable"], 1)
        strategy = deployment["spec"]["strategy"]["rollingUpdate"]
        self.assertEqual(strategy["maxUnavailable"], 0, "a rollout must never drop below two serving replicas")

    def test_pod_security(self):
        pod = self.r.pod()
        psc = pod["securityContext"]
        self.assertIs(psc.get("runAsNonRoot"), True)
        self.assertIsInstance(psc.get("runAsUser"), int)
        self.assertGreater(psc["runAsUser"], 0)
        self.assertEqual(psc.get("seccompProfile"), {"type": "RuntimeDefault"})
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            self.assertFalse(pod.get(key, False), key)
        restricted_volume_types = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                                   "persistentVolumeClaim", "projected", "secret"}
        for volume in pod.get("volumes", []):
            kinds = set(volume) - {"name"}
            self.assertLessEqual(kinds, restricted_volume_types,
                                 f"volume {volume['name']} has a type the restricted profile forbids: {kinds}")
        for container in pod["containers"] + pod.get("initContainers", []):
            csc = container.get("securityContext", {})
            name = container["name"]
            self.assertIs(csc.get("readOnlyRootFilesystem"), True, f"{name}: readOnlyRootFilesystem")
            self.assertIs(csc.get("allowPrivilegeEscalation"), False, f"{name}: allowPrivilegeEscalation")
            self.assertFalse(csc.get("privileged", False), f"{name}: privileged")
            self.assertEqual(csc.get("capabilities", {}).get("drop"), ["ALL"], f"{name}: drop ALL capabilities")
            self.assertFalse(csc.get("capabilities", {}).get("add"), f"{name}: adds capabilities")
            self.assertNotEqual(csc.get("runAsUser", psc["runAsUser"]), 0, f"{name}: runs as root")
            self.assertEqual(csc.get("runAsUser", psc["runAsUser"]), psc["runAsUser"],
                             f"{name}: container UID differs from the pod's")
            if "seccompProfile" in csc:
                self.assertEqual(csc["seccompProfile"], {"type": "RuntimeDefault"})
            for mount in container.get("volumeMounts", []):
                self.assertTrue(mount.get("readOnly"), f"{name}: mount {mount['mountPath']} is writable")

    def test_run_as_user_equals_the_dockerfiles_user(self):
        stages = dockerfile_stages()
        users = [arg for op, arg in stages[-1]["instructions"] if op == "USER"]
        self.assertTrue(users, "the runtime stage sets no USER")
        uid = users[-1].split(":")[0]
        self.assertTrue(uid.isdigit(), f"USER {users[-1]} must be numeric so runAsNonRoot can verify it")
        self.assertEqual(int(uid), self.r.pod()["securityContext"]["runAsUser"],
                         "Dockerfile USER and Deployment runAsUser differ")

    def test_resources_are_sized_from_the_benchmark(self):
        resources = self.r.container()["resources"]
        requests, limits = resources["requests"], resources.get("limits", {})
        self.assertIn("cpu", requests)
        self.assertGreaterEqual(parse_quantity(requests["memory"]), PEAK_RSS_BYTES,
                                "the memory request must cover the measured peak RSS")
        self.assertIn("memory", limits, "a memory limit bounds a leak")
        self.assertGreaterEqual(parse_quantity(limits["memory"]), parse_quantity(requests["memory"]))
        self.assertGreaterEqual(parse_quantity(limits["memory"]), 4 * PEAK_RSS_BYTES,
                                "the memory limit leaves too little room above peak RSS and the Secret cache")
        if "cpu" in limits:
            self.assertGreaterEqual(parse_quantity(limits["cpu"]), 1, "a CPU limit under one core throttles")

    def test_termination_grace_covers_the_drain(self):
        grace = self.r.pod().get("terminationGracePeriodSeconds")
        self.assertIsInstance(grace, int, "terminationGracePeriodSeconds must be set explicitly")
        longest = max(w["timeoutSeconds"] for c in self.r.webhook_configs() for w in c["webhooks"])
        readiness = self.r.container()["readinessProbe"]
        unready_after = readiness.get("periodSeconds", 10) * readiness.get("failureThreshold", 3)
        self.assertGreaterEqual(grace, longest + unready_after,
                                "grace must cover endpoint removal plus the longest admission request")
        self.assertLessEqual(grace, 60, "a long grace period only delays rollouts")

    # -- flags, ports, probes

    def test_entrypoint_is_kept_and_only_flags_are_passed(self):
        self.assertNotIn("command", self.r.container(), "command would replace ENTRYPOINT feast-admission serve")
        self.r.args()  # every argument is a --flag

    def test_ports_agree_with_the_flags(self):
        flags = self.r.args()
        ports = {p["name"]: p for p in self.r.container()["ports"]}
        for name, port in ports.items():
            self.assertIn(name, PORT_FLAGS, f"container port {name} is served by no known flag")
            flag = PORT_FLAGS[name]
            value = flags.get(flag, SPEC_DEFAULTS.get(flag))
            self.assertEqual(str(port["containerPort"]), value,
                             f"container port {name} is {port['containerPort']}, the server listens on {flag}={value}")
            self.assertEqual(port.get("protocol", "TCP"), "TCP")
        self.assertIn("webhook", ports)
        self.assertIn("health", ports)
        for flag, default in SPEC_DEFAULTS.items():
            self.assertEqual(flags.get(flag, default), default,
                             f"{flag} differs from the server's default {default}")

    def test_probes_use_health_paths_on_the_health_port(self):
        container = self.r.container()
        health_port = int(self.r.args().get("--health-port", SPEC_DEFAULTS["--health-port"]))
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = container[probe]["httpGet"]
            self.assertEqual(http["path"], path, f"{probe} path")
            self.assertEqual(resolve_port(container, http["port"]), health_port, f"{probe} port")
            self.assertIn(http.get("scheme", "HTTP"), ("HTTP",), f"{probe}: the health port is plain HTTP")

    def test_service_routes_443_to_the_webhook_port(self):
        service = self.r.one("Service")
        pod_labels = self.r.deployment()["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels),
                        "the Service must select the webhook pods")
        ports = service["spec"]["ports"]
        self.assertEqual(len(ports), 1, "only the HTTPS port is exposed")
        self.assertEqual(ports[0]["port"], 443)
        self.assertEqual(resolve_port(self.r.container(), ports[0]["targetPort"]),
                         int(self.r.args().get("--port", SPEC_DEFAULTS["--port"])))

    def test_cert_dir_is_the_mounted_tls_secret(self):
        cert_dir = self.r.args().get("--cert-dir", SPEC_DEFAULTS["--cert-dir"])
        mount, volume = self.r.volume_for_mount(cert_dir)
        self.assertNotIn("subPath", mount, "a subPath mount never sees renewed certificates")
        self.assertIn("secret", volume, f"{cert_dir} must be a Secret volume")
        self.assertNotIn("items", volume["secret"], "the server expects tls.crt and tls.key by their Secret keys")
        self.assertFalse(volume["secret"].get("optional", False))

    def test_policy_configmap_is_mounted_where_policy_reads(self):
        policy = self.r.args().get("--policy")
        self.assertIsNotNone(policy, "the Deployment must pass --policy")
        mount, volume = self.r.volume_for_mount(os.path.dirname(policy))
        self.assertNotIn("subPath", mount, "a subPath mount never sees policy updates")
        name = volume["configMap"]["name"]
        configmap = self.r.one("ConfigMap", name)
        self.assertIn(os.path.basename(policy), configmap["data"],
                      f"ConfigMap {name} has no key {os.path.basename(policy)}")

    def test_policy_configmap_is_the_shipped_default_policy(self):
        default = os.path.join(REPO, "policy", "default.yaml")
        if not os.path.exists(default):
            self.skipTest("policy/default.yaml does not exist yet: cannot compare manifests/base/policy.yaml")
        policy = self.r.args()["--policy"]
        _, volume = self.r.volume_for_mount(os.path.dirname(policy))
        data = self.r.one("ConfigMap", volume["configMap"]["name"])["data"][os.path.basename(policy)]
        self.assertEqual(data, read("policy/default.yaml"),
                         "manifests/base/policy.yaml differs from policy/default.yaml: copy it over")

    def test_image_tag_is_the_project_version(self):
        version = re.search(r"project\(feast-admission\s+VERSION\s+([0-9.]+)", read("CMakeLists.txt"))
        self.assertIsNotNone(version, "CMakeLists.txt declares no project VERSION")
        image = self.r.container()["image"]
        self.assertEqual(image, f"feast-admission:{version.group(1)}")

    # -- webhook configurations

    def test_one_mutating_and_one_validating_configuration(self):
        self.assertEqual(len(self.r.all("MutatingWebhookConfiguration")), 1)
        self.assertEqual(len(self.r.all("ValidatingWebhookConfiguration")), 1)
        names = [w["name"] for c in self.r.webhook_configs() for w in c["webhooks"]]
        self.assertEqual(len(names), len(set(names)), "webhook names must be unique")
        for name in names:
            self.assertGreaterEqual(name.count("."), 2, f"webhook name {name} must be fully qualified")

    def test_webhooks_call_the_servers_routes_through_the_service(self):
        service = self.r.one("Service")
        for config in self.r.webhook_configs():
            kind = "mutate" if config["kind"].startswith("Mutating") else "validate"
            for webhook in config["webhooks"]:
                client = webhook["clientConfig"]
                self.assertNotIn("url", client, "the API server must reach the webhook through the Service")
                svc = client["service"]
                self.assertEqual((svc["name"], svc["namespace"]),
                                 (service["metadata"]["name"], service["metadata"]["namespace"]))
                self.assertEqual(svc.get("port", 443), service["spec"]["ports"][0]["port"])
                self.assertIn(svc["path"], SERVER_ROUTES, f"{webhook['name']}: {svc['path']} is not a server route")
                self.assertEqual(SERVER_ROUTES[svc["path"]], kind,
                                 f"{config['kind']} calls the {SERVER_ROUTES[svc['path']]} route {svc['path']}")

    def test_webhook_rules_cover_featurestore_create_and_update_in_both_versions(self):
        for config in self.r.webhook_configs():
            versions = set()
            for webhook in config["webhooks"]:
                for rule in webhook["rules"]:
                    self.assertEqual(rule["apiGroups"], ["feast.dev"], webhook["name"])
                    self.assertEqual(rule["resources"], ["featurestores"],
                                     f"{webhook['name']}: main resource only, no subresources")
                    self.assertEqual(sorted(rule["operations"]), ["CREATE", "UPDATE"], webhook["name"])
                    self.assertEqual(rule.get("scope", "*"), "Namespaced", webhook["name"])
                    versions |= set(rule["apiVersions"])
            self.assertEqual(versions, FEATURESTORE_VERSIONS, f"{config['kind']} versions")

    def test_webhook_settings(self):
        for config in self.r.webhook_configs():
            mutating = config["kind"] == "MutatingWebhookConfiguration"
            for webhook in config["webhooks"]:
                name = webhook["name"]
                self.assertEqual(webhook["failurePolicy"], "Fail", name)
                self.assertEqual(webhook["sideEffects"], "None", name)
                self.assertEqual(webhook["admissionReviewVersions"], ADMISSION_REVIEW_VERSIONS, name)
                self.assertEqual(webhook["matchPolicy"], "Equivalent", name)
                self.assertTrue(2 <= webhook["timeoutSeconds"] <= 10, f"{name}: timeoutSeconds of a few seconds")
                if mutating:
                    self.assertEqual(webhook["reinvocationPolicy"], "IfNeeded", name)
                else:
                    self.assertNotIn("reinvocationPolicy", webhook, name)
                self.assertNotIn("objectSelector", webhook, f"{name}: no FeatureStore may bypass the webhook")

    def test_namespace_selector_excludes_system_and_own_namespace(self):
        own = self.r.one("Service")["metadata"]["namespace"]
        for config in self.r.webhook_configs():
            for webhook in config["webhooks"]:
                selector = webhook.get("namespaceSelector")
                self.assertIsNotNone(selector, f"{webhook['name']} has no namespaceSelector")
                for ns in ("kube-system", own):
                    self.assertFalse(selector_matches(selector, namespace_labels(ns)),
                                     f"{webhook['name']} still intercepts namespace {ns}")
                for ns in ("default", "feast", "team-a-prod"):
                    self.assertTrue(selector_matches(selector, namespace_labels(ns)),
                                    f"{webhook['name']} skips ordinary namespace {ns}")


def resolve_port(container, port):
    if isinstance(port, int):
        return port
    for p in container["ports"]:
        if p["name"] == port:
            return p["containerPort"]
    raise AssertionError(f"no container port named {port}")


class CertManagerOverlay(OverlayChecks, unittest.TestCase):
    overlay = "cert-manager"

    def serving_certificate(self):
        cert_dir = self.r.args().get("--cert-dir", SPEC_DEFAULTS["--cert-dir"])
        _, volume = self.r.volume_for_mount(cert_dir)
        secret = volume["secret"]["secretName"]
        found = [c for c in self.r.all("Certificate") if c["spec"]["secretName"] == secret]
        self.assertEqual(len(found), 1, f"one Certificate must write the mounted Secret {secret}")
        return found[0]

    def test_certificate_writes_the_mounted_secret(self):
        self.serving_certificate()
        self.assertEqual(self.r.all("Secret"), [], "cert-manager creates the Secret; none may be shipped")

    def test_certificate_names_the_service(self):
        service = self.r.one("Service")
        name, ns = service["metadata"]["name"], service["metadata"]["namespace"]
        cert = self.serving_certificate()
        self.assertEqual(set(cert["spec"]["dnsNames"]), {f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"})
        self.assertIn("server auth", cert["spec"].get("usages", ["server auth"]))
        self.assertEqual(cert["spec"]["privateKey"]["algorithm"], "ECDSA")

    def test_issuer_chain_is_a_ca_signed_by_a_self_signed_issuer(self):
        issuers = {i["metadata"]["name"]: i for i in self.r.all("Issuer")}
        self.assertEqual(self.r.all("ClusterIssuer"), [], "namespaced issuers only")
        cert = self.serving_certificate()
        ca_issuer = issuers[cert["spec"]["issuerRef"]["name"]]
        self.assertEqual(cert["spec"]["issuerRef"].get("kind", "Issuer"), "Issuer")
        self.assertIn("ca", ca_issuer["spec"], "the serving certificate must come from a CA issuer")
        ca_certs = [c for c in self.r.all("Certificate")
                    if c["spec"]["secretName"] == ca_issuer["spec"]["ca"]["secretName"]]
        self.assertEqual(len(ca_certs), 1, "one Certificate must create the CA Secret")
        self.assertIs(ca_certs[0]["spec"].get("isCA"), True)
        root = issuers[ca_certs[0]["spec"]["issuerRef"]["name"]]
        self.assertEqual(root["spec"], {"selfSigned": {}})

    def test_ca_is_injected_into_both_webhook_configurations(self):
        cert = self.serving_certificate()
        expected = f"{cert['metadata']['namespace']}/{cert['metadata']['name']}"
        configs = self.r.webhook_configs()
        self.assertEqual(len(configs), 2)
        for config in configs:
            annotations = config["metadata"].get("annotations", {})
            self.assertEqual(annotations.get("cert-manager.io/inject-ca-from"), expected,
                             f"{config['kind']} inject-ca-from")
            for webhook in config["webhooks"]:
                self.assertNotIn("caBundle", webhook["clientConfig"], "cainjector owns caBundle")


class PlainOverlay(OverlayChecks, unittest.TestCase):
    overlay = "plain"

    def tls_secret(self):
        cert_dir = self.r.args().get("--cert-dir", SPEC_DEFAULTS["--cert-dir"])
        _, volume = self.r.volume_for_mount(cert_dir)
        return self.r.one("Secret", volume["secret"]["secretName"])

    def cert_file(self, name):
        with open(os.path.join(Workspace.certs, name), "rb") as f:
            return f.read()

    def test_secret_holds_the_generated_certificate_and_key(self):
        secret = self.tls_secret()
        self.assertEqual(secret["type"], "kubernetes.io/tls")
        for key in ("tls.crt", "tls.key"):
            self.assertEqual(base64.b64decode(secret["data"][key]), self.cert_file(key), f"Secret {key}")

    def test_ca_bundle_is_the_generated_ca_on_every_webhook(self):
        ca = self.cert_file("ca.crt")
        for config in self.r.webhook_configs():
            self.assertNotIn("cert-manager.io/inject-ca-from", config["metadata"].get("annotations", {}))
            for webhook in config["webhooks"]:
                bundle = webhook["clientConfig"].get("caBundle")
                self.assertIsNotNone(bundle, f"{webhook['name']} has no caBundle")
                self.assertEqual(base64.b64decode(bundle, validate=False), ca, f"{webhook['name']} caBundle")

    def test_ca_bundle_matches_the_printed_one(self):
        if Workspace.gen_certs_stdout is None:
            self.skipTest("certs/gen-certs.sh does not exist yet")
        printed = Workspace.gen_certs_stdout.strip().splitlines()[-1].strip()
        self.assertEqual(base64.b64decode(printed), self.cert_file("ca.crt"),
                         "the caBundle gen-certs.sh prints is not its ca.crt")

    def test_certificate_is_signed_by_the_bundle_and_names_the_service(self):
        service = self.r.one("Service")
        name, ns = service["metadata"]["name"], service["metadata"]["namespace"]
        certs = Workspace.certs
        verify = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(certs, "ca.crt"),
                                 os.path.join(certs, "tls.crt")], capture_output=True, text=True)
        self.assertEqual(verify.returncode, 0, f"tls.crt does not verify against ca.crt: {verify.stdout}{verify.stderr}")
        text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                               os.path.join(certs, "tls.crt")], capture_output=True, text=True, check=True).stdout
        for dns in (f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"):
            self.assertIn(f"DNS:{dns}", text, f"tls.crt lacks SAN {dns}")

    def test_overlay_refuses_to_render_without_certificates(self):
        scratch = tempfile.mkdtemp(prefix="feast-manifests-nocerts-")
        try:
            shutil.copytree(os.path.join(REPO, "manifests"), os.path.join(scratch, "manifests"),
                            ignore=shutil.ignore_patterns("certs"))
            result = subprocess.run([kubectl(), "kustomize",
                                     os.path.join(scratch, "manifests", "overlays", "plain")],
                                    capture_output=True, text=True)
            self.assertNotEqual(result.returncode, 0, "rendered without certs/: the certificates are not consumed")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def test_generated_certificates_are_git_ignored(self):
        if not os.path.isdir(os.path.join(REPO, ".git")) or shutil.which("git") is None:
            self.skipTest("not a git checkout")
        for name in ("ca.crt", "tls.crt", "tls.key"):
            path = f"manifests/overlays/plain/certs/{name}"
            result = subprocess.run(["git", "-C", REPO, "check-ignore", "-q", path])
            self.assertEqual(result.returncode, 0, f"{path} is not git-ignored")

    def test_generated_keys_stay_out_of_the_image_build_context(self):
        patterns = [line.strip() for line in read(".dockerignore").splitlines()
                    if line.strip() and not line.startswith("#")]
        self.assertTrue(any(p.rstrip("/") == "manifests/overlays/plain/certs" for p in patterns),
                        ".dockerignore must exclude manifests/overlays/plain/certs")


class BaseRendering(unittest.TestCase):
    def test_base_renders_and_mounts_the_secret_the_overlays_provide(self):
        rendered = render(os.path.join(Workspace.tmp, "manifests", "base"))
        self.assertEqual(rendered.all("Secret"), [], "the base ships no certificate")
        cert_dir = rendered.args().get("--cert-dir", SPEC_DEFAULTS["--cert-dir"])
        _, volume = rendered.volume_for_mount(cert_dir)
        cert = [c for c in Workspace.render("cert-manager").all("Certificate")
                if c["spec"]["secretName"] == volume["secret"]["secretName"]]
        self.assertEqual(len(cert), 1, "the cert-manager overlay issues no Certificate into the base's Secret")


# ---------------------------------------------------------------------------------------
# The server's own routes, flags and defaults

class ServerSourceRoutes(unittest.TestCase):
    """Without a binary, the route table in server/ is the reference."""

    def test_routes_in_server_source_are_the_spec_routes(self):
        path = os.path.join(REPO, "server", "routes.cc")
        if not os.path.exists(path):
            self.skipTest("server/routes.cc does not exist")
        found = set(re.findall(r'"(/(?:mutate|validate)-[a-z0-9-]+)"', read("server/routes.cc")))
        self.assertEqual(found, set(SERVER_ROUTES), "server/routes.cc routes differ from the ones the manifests use")


# A CLI11 option line: `--port UINT=9443`, `--threads UINT:UINT in [1 - 1024]=2`,
# `--log-level TEXT:{debug,info}=info`, older CLI11 `--port UINT [9443]`.
HELP_OPTION = re.compile(r"""^(?:-\w,)?(--[a-z][a-z0-9-]*)
    (?:\s(?:[A-Z]+(?::(?:\{[^}]*\}|[A-Z]+(?:\ in\ \[[^\]]*\])?))*)
       (?:=(\S+)|\ \[([^\]]*)\])?)?""", re.VERBOSE)


def help_flags(text):
    """Flags of CLI11 help: {'--port': '9443', or None when no default is shown}."""
    flags = {}
    for line in text.splitlines():
        match = HELP_OPTION.match(line.strip())
        if match:
            default = match.group(2) if match.group(2) is not None else match.group(3)
            flags.setdefault(match.group(1), default.strip('"') if default is not None else None)
    return flags


class ServerFlags(unittest.TestCase):
    """`feast-admission serve --help` against the Deployment's arguments."""

    def setUp(self):
        if not BINARY:
            self.skipTest("the feast-admission target is not built: no flag cross-check")
        result = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True, timeout=10)
        self.help = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, f"serve --help failed:\n{self.help}")
        self.flags = help_flags(self.help)
        self.rendered = Workspace.render("cert-manager")

    def test_every_deployment_flag_exists(self):
        missing = [f for f in self.rendered.args() if f not in self.flags]
        self.assertEqual(missing, [], f"the Deployment passes flags `serve --help` does not list: {missing}\n"
                                      f"(the pod would crash-loop)\n{self.help}")

    def test_flag_defaults_are_the_ones_the_manifests_assume(self):
        for flag, default in SPEC_DEFAULTS.items():
            self.assertIn(flag, self.flags, f"serve --help lists no {flag}")
            self.assertIsNotNone(self.flags[flag], f"serve --help shows no default for {flag}; expected {default}")
            self.assertEqual(self.flags[flag], default, f"{flag} default")

    def test_every_container_port_has_its_flag(self):
        for port in self.rendered.container()["ports"]:
            flag = PORT_FLAGS[port["name"]]
            self.assertIn(flag, self.flags, f"container port {port['name']} needs {flag}, which serve lacks")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admission_review(uid, namespace="team-a"):
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "feast.dev", "version": "v1", "kind": "FeatureStore"},
            "resource": {"group": "feast.dev", "version": "v1", "resource": "featurestores"},
            "requestKind": {"group": "feast.dev", "version": "v1", "kind": "FeatureStore"},
            "requestResource": {"group": "feast.dev", "version": "v1", "resource": "featurestores"},
            "name": "sample",
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "test"},
            "object": {"apiVersion": "feast.dev/v1", "kind": "FeatureStore",
                       "metadata": {"name": "sample", "namespace": namespace},
                       "spec": {"feastProject": "sample"}},
            "oldObject": None,
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }


class LiveServer(unittest.TestCase):
    """The binary started with the Deployment's own arguments (ports and folders moved to
    temporary ones) must answer the webhooks' paths and the probes' paths."""

    @classmethod
    def setUpClass(cls):
        cls.proc = None
        if not BINARY:
            raise unittest.SkipTest("the feast-admission target is not built: no live check")
        help_text = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True).stdout
        known = help_flags(help_text)
        cls.rendered = Workspace.render("plain")
        cls.tmp = tempfile.mkdtemp(prefix="feast-manifests-live-")
        cert_dir = os.path.join(cls.tmp, "certs")
        shutil.copytree(Workspace.certs, cert_dir)
        cls.ca = os.path.join(cert_dir, "ca.crt")
        cls.port, cls.health_port = free_port(), free_port()
        flags = cls.rendered.args()
        flags.update({"--port": str(cls.port), "--health-port": str(cls.health_port), "--cert-dir": cert_dir})
        if "--policy" in flags:
            policy_key = os.path.basename(flags["--policy"])
            _, volume = cls.rendered.volume_for_mount(os.path.dirname(flags["--policy"]))
            data = cls.rendered.one("ConfigMap", volume["configMap"]["name"])["data"][policy_key]
            flags["--policy"] = os.path.join(cls.tmp, policy_key)
            with open(flags["--policy"], "w") as f:
                f.write(data)
        if "--metrics-port" in known:
            flags["--metrics-port"] = str(free_port())
        if "--secrets-dir" in known:  # no cluster here: an empty embedded Secret source
            os.makedirs(os.path.join(cls.tmp, "secrets"))
            flags["--secrets-dir"] = os.path.join(cls.tmp, "secrets")
        # A flag the server lacks is left out here and reported by ServerFlags.
        args = [f"{k}={v}" if v is not None else k for k, v in flags.items() if k in known]
        env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
        cls.log = open(os.path.join(cls.tmp, "server.log"), "w+")
        cls.proc = subprocess.Popen([BINARY, "serve", *args], stdout=cls.log, stderr=subprocess.STDOUT, env=env)
        cls.args = args

    @classmethod
    def tearDownClass(cls):
        if cls.proc:
            cls.proc.terminate()
            try:
                cls.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
        if getattr(cls, "log", None):
            cls.log.close()
        if getattr(cls, "tmp", None):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def server_log(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def http_get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.health_port, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def wait_for(self, path, deadline=15):
        end, last = time.time() + deadline, None
        while time.time() < end:
            if self.proc.poll() is not None:
                self.fail(f"server exited with {self.proc.returncode} (args {self.args}):\n{self.server_log()}")
            try:
                last = self.http_get(path)
                if last[0] == 200:
                    return
            except OSError as e:
                last = e
            time.sleep(0.1)
        self.fail(f"GET {path} on the health port never answered 200 (last: {last}):\n{self.server_log()}")

    def https_post(self, path, body):
        context = ssl.create_default_context(cafile=self.ca)
        conn = http.client.HTTPSConnection("localhost", self.port, context=context, timeout=5)
        try:
            conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def test_probe_paths_answer_on_the_health_port(self):
        container = self.rendered.container()
        for probe in ("livenessProbe", "readinessProbe"):
            self.wait_for(container[probe]["httpGet"]["path"])

    def test_webhook_paths_are_served(self):
        self.wait_for(self.rendered.container()["readinessProbe"]["httpGet"]["path"])
        for config in self.rendered.webhook_configs():
            for webhook in config["webhooks"]:
                path = webhook["clientConfig"]["service"]["path"]
                uid = f"manifests-{webhook['name']}"
                status, body = self.https_post(path + "?timeout=5s", admission_review(uid))
                self.assertEqual(status, 200, f"POST {path}: {status} {body[:200]!r}")
                review = json.loads(body)
                self.assertEqual(review["response"]["uid"], uid, f"POST {path} did not echo the uid")
                self.assertIn("allowed", review["response"])

    def test_a_path_no_webhook_uses_is_not_found(self):
        # The control for the check above: the server does tell routes apart.
        self.wait_for(self.rendered.container()["readinessProbe"]["httpGet"]["path"])
        status, _ = self.https_post("/validate-feast-dev-v2-featurestore", admission_review("control"))
        self.assertEqual(status, 404)


# ---------------------------------------------------------------------------------------
# Dockerfile and CI: one build, described once

def dockerfile_stages():
    """[{'from': 'debian:bookworm-slim', 'name': 'build', 'instructions': [(OP, args)]}]"""
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        op, arg = op.upper(), " ".join(arg.split())
        if op == "FROM":
            parts = arg.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append({"from": parts[0], "name": name, "instructions": []})
        elif not stages:
            raise AssertionError(f"Dockerfile: {op} before FROM")
        else:
            stages[-1]["instructions"].append((op, arg))
    return stages


def ci_script_calls(text, script):
    """Lines that run .ci/<script> as a command: `.ci/deps`, `./.ci/deps`, `"$here/deps"`,
    `"$(dirname "$0")/deps"`, `bash .ci/deps`; comments do not count."""
    pattern = re.compile(rf"""(^|[\s;&|("'])(\./)?(\.ci/|\$\{{?\w+\}}?/|\)/){script}(["'\s;&|)]|$)""")
    return [line for line in text.splitlines()
            if not line.lstrip().startswith("#") and pattern.search(line.split(" #")[0])]


BUILD_COMMAND_PATTERN = re.compile(r"apt-get\s+install|cmake\s+(-S|--build|-B)")


class DockerfileAndCi(unittest.TestCase):
    def setUp(self):
        self.stages = dockerfile_stages()

    def test_multi_stage_on_one_debian_release(self):
        self.assertGreaterEqual(len(self.stages), 2, "a build stage and a runtime stage")
        build, runtime = self.stages[0], self.stages[-1]
        self.assertTrue(build["from"].startswith("debian:bookworm"), build["from"])
        self.assertEqual(runtime["from"], "debian:bookworm-slim", "small Debian runtime")

    def test_build_stage_runs_the_ci_scripts(self):
        build = self.stages[0]
        runs = [arg for op, arg in build["instructions"] if op == "RUN"]
        self.assertTrue(runs and runs[0] == ".ci/deps", f"first RUN must be .ci/deps, got {runs}")
        self.assertTrue(len(runs) >= 2 and re.fullmatch(r"\.ci/build(\s.*)?", runs[1]),
                        f"second RUN must be .ci/build, got {runs}")
        for run in runs:
            self.assertIsNone(BUILD_COMMAND_PATTERN.search(run),
                              f"the build stage repeats a build command instead of calling .ci/: {run}")
        copies = [arg for op, arg in build["instructions"] if op == "COPY"]
        self.assertIn(". .", copies, "the build stage must COPY the whole repository")

    def test_ci_scripts_hold_the_build(self):
        for script in ("deps", "build"):
            path = os.path.join(REPO, ".ci", script)
            self.assertTrue(os.access(path, os.X_OK), f".ci/{script} is not executable")
            result = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, f".ci/{script}: {result.stderr}")
        deps = read(".ci/deps")
        for package in ("cmake", "g++", "libboost-dev", "libssl-dev", "nlohmann-json3-dev", "libyaml-cpp-dev",
                        "libspdlog-dev", "libcli11-dev", "libgtest-dev"):
            self.assertRegex(deps, rf"(^|\s){re.escape(package)}(\s|$)", f".ci/deps does not install {package}")
        self.assertIn("dpkg-query", deps, ".ci/deps should skip apt when everything is installed")
        build = read(".ci/build")
        self.assertRegex(build, r"cmake\s+-S", ".ci/build configures with cmake")
        self.assertRegex(build, r"cmake\s+--build", ".ci/build builds with cmake")

    def test_ci_run_uses_the_same_scripts(self):
        path = os.path.join(REPO, ".ci", "run")
        if not os.path.exists(path):
            self.skipTest(".ci/run does not exist yet; it must call .ci/deps and .ci/build")
        text = read(".ci/run")
        self.assertTrue(ci_script_calls(text, "deps"), ".ci/run does not run .ci/deps")
        self.assertTrue(ci_script_calls(text, "build"), ".ci/run does not run .ci/build")
        copies = [line for line in text.splitlines()
                  if not line.lstrip().startswith("#") and BUILD_COMMAND_PATTERN.search(line)]
        self.assertEqual(copies, [], f".ci/run repeats build commands instead of calling .ci/: {copies}")

    def test_runtime_stage_holds_only_the_binary_and_its_libraries(self):
        runtime = self.stages[-1]
        build_name = self.stages[0]["name"]
        copies = [arg for op, arg in runtime["instructions"] if op in ("COPY", "ADD")]
        self.assertEqual(len(copies), 1, f"the runtime stage copies one thing, the binary: {copies}")
        self.assertTrue(copies[0].startswith(f"--from={build_name} "), copies[0])
        workdir = [arg for op, arg in self.stages[0]["instructions"] if op == "WORKDIR"][-1]
        build_dir = re.search(r"\$\{BUILD_DIR:-([^}]+)\}", read(".ci/build")).group(1)
        self.assertEqual(copies[0].split()[1], f"{workdir}/{build_dir}/feast-admission",
                         "the runtime stage must copy the binary .ci/build produced")
        self.assertEqual(copies[0].split()[2], "/usr/local/bin/feast-admission")
        packages = self.runtime_packages()
        self.assertIn("ca-certificates", packages)
        for package in packages:
            self.assertFalse(package.endswith("-dev"), f"development package {package} in the runtime image")
        self.assertIn("rm -rf /var/lib/apt/lists", " ".join(a for o, a in runtime["instructions"] if o == "RUN"),
                      "apt lists left in the image")

    def runtime_packages(self):
        runtime = self.stages[-1]
        packages = []
        for op, arg in runtime["instructions"]:
            if op == "RUN":
                for match in re.finditer(r"apt-get\s+install\s+((?:\S+\s*)+?)(?:&&|;|$)", arg):
                    packages += [p for p in match.group(1).split() if not p.startswith("-")]
        return packages

    def test_entrypoint_and_user(self):
        runtime = self.stages[-1]
        entrypoints = [arg for op, arg in runtime["instructions"] if op == "ENTRYPOINT"]
        self.assertEqual(len(entrypoints), 1)
        self.assertEqual(json.loads(entrypoints[0]), ["feast-admission", "serve"])
        self.assertNotIn("CMD", [op for op, _ in runtime["instructions"]], "no CMD: the Deployment passes the flags")
        users = [arg for op, arg in runtime["instructions"] if op == "USER"]
        self.assertTrue(users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0",
                        f"the runtime stage must run as a numeric non-root USER, got {users}")

    def linked_library_paths(self):
        # The shared libraries the built binary loads (ldd), or a skip where that says
        # nothing about the image.
        if not BINARY:
            self.skipTest("the feast-admission target is not built: cannot read its shared libraries")
        ldd = subprocess.run(["ldd", BINARY], capture_output=True, text=True, check=True).stdout
        self.assertNotIn("not found", ldd, f"unresolved libraries:\n{ldd}")
        if re.search(r"lib(asan|ubsan|tsan)\.so", ldd):
            self.skipTest("a sanitizer build: its runtime is not part of the image build")
        return re.findall(r"=>\s+(\S+)", ldd)

    def test_runtime_packages_provide_every_shared_library(self):
        provided = set(self.runtime_packages()) | BASE_IMAGE_PACKAGES
        for path in self.linked_library_paths():
            package = dpkg_package_of(path)
            self.assertIsNotNone(package, f"no Debian package owns {path}")
            self.assertIn(package, provided, f"{path} comes from {package}, which the runtime stage lacks")

    def test_runtime_packages_are_all_needed(self):
        # The other way round: a library package the binary no longer links (spdlog and
        # fmt, say, once compiled in) is dead weight in the image.
        linked = {dpkg_package_of(path) for path in self.linked_library_paths()}
        for package in self.runtime_packages():
            if package == "ca-certificates":
                continue  # for the Kubernetes API, not a library
            self.assertIn(package, linked, f"the runtime stage installs {package}, which the binary does not link")


def dpkg_package_of(path):
    candidates = {path, os.path.realpath(path)}
    for p in list(candidates):  # merged /usr: dpkg may know either spelling
        candidates.add(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for candidate in candidates:
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].split(",")[0].strip()
    return None


def main():
    global REPO, BINARY
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo-root", default=os.environ.get("FEAST_REPO_ROOT"))
    parser.add_argument("--binary", default=os.environ.get("FEAST_ADMISSION_BINARY"))
    options, rest = parser.parse_known_args()
    if not options.repo_root:
        options.repo_root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    REPO = os.path.abspath(options.repo_root)
    BINARY = os.path.abspath(options.binary) if options.binary else None
    if BINARY and not os.access(BINARY, os.X_OK):
        print(f"test_manifests: --binary {BINARY} is not an executable", file=sys.stderr)
        return 2
    print(f"test_manifests: repo {REPO}, binary {BINARY or '(none: server cross-checks skipped)'}")
    program = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
