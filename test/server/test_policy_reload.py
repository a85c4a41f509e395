#!/usr/bin/python3
"""Policy hot reload on the real feast-admission binary (SPEC section 6, issue 4 item 4).

A good policy, then a changed one (in force within a second), then an invalid one (refused
with a logged error naming the problem; the previous policy stays in force and /readyz
stays 200), then a good one again. Namespace labels from --namespace-labels select rules.

    test_policy_reload.py --binary build/feast-admission --gen-certs certs/gen-certs.sh
"""

import json
import os
import re
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
# Cut before "rules:", this file is still valid YAML and a valid policy, without any rule.
LOOSE_PREFIX = HEADER + "secrets: {unresolvedVars: warn}\n"
REQUIRE_STORE_V2 = LOOSE_PREFIX + REQUIRE_STORE[len(HEADER):].replace("needs-store", "needs-store-v2")
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
        before = len(self.refusals())
        write_atomically(self.policy, BROKEN)
        self.wait_for(lambda: len(self.refusals()) > before, "the refusal logged")
        refusal = self.refusals()[-1]
        self.assertEqual(refusal["msg"], "policy reload refused, keeping the policy in force")
        self.assertIn('rules[0].require.pvcSize.max: "10GB" is not a Kubernetes quantity', refusal["error"])
        self.assertIn(self.policy, refusal["error"])
        self.assertTrue(self.verdict()["allowed"])
        self.assertEqual(self.server.get(self.server.health_port, "/readyz")[0], 200)

        # A good file again: denying again.
        write_atomically(self.policy, REQUIRE_STORE)
        self.wait_for(lambda: not self.verdict()["allowed"], "the deny policy back in force")

    def refusals(self):
        return [e for e in self.server.entries() if e.get("msg", "").startswith("policy reload refused")]

    def reloads(self):
        return sum(1 for e in self.server.entries() if e.get("msg") == "policy reloaded")

    def test_a_file_caught_mid_write_is_not_loaded(self):
        """A writer that writes in pieces (no atomic rename): the truncated prefix is a valid
        but permissive policy; it must never be in force, even for a moment."""
        write_atomically(self.policy, REQUIRE_STORE)
        self.wait_for(lambda: not self.verdict()["allowed"], "the deny policy in force")
        time.sleep(1.2)  # every earlier change seen
        before = self.reloads()
        allowed_seen = []
        with open(self.policy, "w") as f:
            f.write(LOOSE_PREFIX)
            # A slow writer: six pieces 0.2 s apart (each pause shorter than the server's
            # 0.3 s settle time), so the half-written file spans at least two polls.
            for piece in range(6):
                f.flush()
                deadline = time.monotonic() + 0.2
                while time.monotonic() < deadline:
                    allowed_seen.append(self.verdict()["allowed"])
                f.write(f"# piece {piece}\n")
            f.write(REQUIRE_STORE_V2[len(LOOSE_PREFIX):])
        self.wait_for(lambda: "needs-store-v2" in self.verdict()["status"]["message"], "the completed file in force")
        self.assertEqual(allowed_seen.count(True), 0, "the truncated policy was served")
        self.assertEqual(self.reloads(), before + 1, "only the completed file is loaded")

    def test_a_file_left_truncated_is_refused(self):
        """A write that stops mid-key leaves a broken file: refused, the old policy stays."""
        write_atomically(self.policy, REQUIRE_STORE)
        self.wait_for(lambda: not self.verdict()["allowed"], "the deny policy in force")
        before = len(self.refusals())
        with open(self.policy, "w") as f:
            f.write(REQUIRE_STORE[:REQUIRE_STORE.index("requireStore") + 7])  # "... require: {require"
        self.wait_for(lambda: len(self.refusals()) > before, "the truncated file refused")
        self.assertRegex(self.refusals()[-1]["error"], "^" + re.escape(self.policy) + r":\d+:\d+: ")
        self.assertFalse(self.verdict()["allowed"])
        self.assertEqual(self.server.get(self.server.health_port, "/readyz")[0], 200)

    def test_namespace_labels_reload(self):
        write_atomically(self.labels, NAMESPACES.replace("payments", "billing"))
        self.wait_for(lambda: not self.verdict("billing")["allowed"], "billing labelled production")
        write_atomically(self.labels, NAMESPACES)
        self.wait_for(lambda: self.verdict("billing")["allowed"], "billing unlabelled again")


if __name__ == "__main__":
    obs.main()
