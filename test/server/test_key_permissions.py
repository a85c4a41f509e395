#!/usr/bin/python3
"""The serving key's file permissions (issue 7, item 4): a world-readable tls.key is a
logged warning naming the file and its mode; an owner-only key is not.

    test_key_permissions.py --binary build/feast-admission --gen-certs certs/gen-certs.sh
"""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_observability as obs  # the Server helper  # noqa: E402

WARNING = "the private key is readable by every user: make it 0600 or 0440"


class KeyPermissions(unittest.TestCase):
    def serve_with_key_mode(self, mode):
        ws = obs.Workspace.setup()
        certs = os.path.join(ws.tmp, f"certs-{mode:o}")
        shutil.copytree(ws.certs, certs, dirs_exist_ok=True)
        os.chmod(os.path.join(certs, "tls.key"), mode)
        server = obs.Server(ws.tmp, certs)
        try:
            server.wait_ready()
            return [e for e in server.entries() if e.get("msg") == WARNING]
        finally:
            server.stop()

    def test_world_readable_key_is_warned_about(self):
        warnings = self.serve_with_key_mode(0o644)
        self.assertEqual(len(warnings), 1)
        self.assertEqual(warnings[0]["mode"], "0644")
        self.assertTrue(warnings[0]["keyFile"].endswith("tls.key"))

    def test_owner_only_key_is_not(self):
        self.assertEqual(self.serve_with_key_mode(0o600), [])


if __name__ == "__main__":
    obs.main()
