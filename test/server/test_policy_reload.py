#!/usr/bin/python3
"""Policy hot reload on the real feast-admission binary (SPEC section 6, issue 4 item 4).

A good policy, then a changed one (in force within a second), then an invalid one (refused
with a logged error naming the problem; the previous policy stays in force and /readyz
stays 200), then a good one again. Namespace labels from --namespace-labels select rules.

    test_policy_reload.py --binary build/feast-admission --gen-certs certs/gen-certs.sh
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_observability as obs  # the Server and request helpers  # noqa: E402

HEADER = "apiVersion: feast-admission.dev/v1\nkind: PersistencePolicy\n"
REQUIRE_STORE = HEADER + """\
rules:
  - name: needs-store
    namespaceSelector: {matchLabels: {environment: production}}
    require: {requireStore: [onlineStore]}
"""
WARN_ONLY = REQUIRE_STORE.replace("require:", "enforcement: warn\n    require:")
BROKEN = HEADER + "rules:\n  - name: r\n    require: {pvcSize: {max: 10GB}}\n"
NAMESPACES = """\
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {environment: production}}
"""


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class PolicyReload(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ws = obs.Workspace.setup()
        cls.policy = os.path.join(ws.tmp, "reload-policy.yaml")
        cls.labels = os.path.join(ws.tmp, "namespaces.yaml")
        write_atomically(cls.policy, REQUIRE_STORE)
        write_atomically(cls.labels, NAMESPACES)
        cls.ca = os.path.join(ws.certs, "ca.crt")
        cls.server = obs.Server(ws.tmp, ws.certs, ["--policy", cls.policy, "--namespace-labels", cls.labels])
        cls.server.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def verdict(self, namespace="payments"):
        status, body = obs.post(self.server.port, self.ca, obs.VALIDATE_V1, obs.review("u-" + namespace, namespace))
        self.assertEqual(status, 200, body)
        return json.loads(body)["response"]

    def wait_for(self, predicate, what, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        self.fail(f"not within {timeout} s: {what}\n{self.server.log()[-3000:]}")

    def test_good_bad_good(self):
        # The labelled namespace is denied, others are not.
        self.assertFalse(self.verdict()["allowed"])
        self.assertTrue(self.verdict("sandbox")["allowed"])

        # A changed policy is in force within a second or so: now only a warning.
        write_atomically(self.policy, WARN_ONLY)
        self.wait_for(lambda: self.verdict()["allowed"], "the warn-only policy in force")
        self.assertIn("needs-store", " ".join(self.verdict().get("warnings", [])))

        # An invalid file is refused, named in the log, and the warn-only policy stays.
        write_atomically(self.policy, BROKEN)
        self.wait_for(lambda: any(e.get("msg") == "policy reload refused, keeping the policy in force"
                                  for e in self.server.entries()), "the refusal logged")
        refusal = [e for e in self.server.entries() if e.get("msg", "").startswith("policy reload refused")][-1]
        self.assertIn('rules[0].require.pvcSize.max: "10GB" is not a Kubernetes quantity', refusal["error"])
        self.assertIn(self.policy, refusal["error"])
        self.assertTrue(self.verdict()["allowed"])
        self.assertEqual(self.server.get(self.server.health_port, "/readyz")[0], 200)

        # A good file again: denying again.
        write_atomically(self.policy, REQUIRE_STORE)
        self.wait_for(lambda: not self.verdict()["allowed"], "the deny policy back in force")

    def test_namespace_labels_reload(self):
        write_atomically(self.labels, NAMESPACES.replace("payments", "billing"))
        self.wait_for(lambda: not self.verdict("billing")["allowed"], "billing labelled production")
        write_atomically(self.labels, NAMESPACES)
        self.wait_for(lambda: self.verdict("billing")["allowed"], "billing unlabelled again")


if __name__ == "__main__":
    obs.main()
