#!/usr/bin/env python3
"""A fake Kubernetes API server for the Secret source tests (Python 3 stdlib only).

Speaks the real wire format over HTTPS on 127.0.0.1: bearer-token check (401 Status),
SecretList JSON with metadata.resourceVersion and limit/continue paging, and watches as
chunked streams of newline-delimited WatchEvents (ADDED, MODIFIED, DELETED, BOOKMARK,
ERROR with a 410 Status), ending cleanly after timeoutSeconds.

A plain-HTTP control port (also 127.0.0.1) lets the test change the world:
  POST /put     {"namespace", "name", "data": {key: base64}}   ADDED or MODIFIED
  POST /delete  {"namespace", "name"}                          DELETED
  POST /put-namespace {"name", "labels"}, POST /delete-namespace {"name"}: Namespaces
  POST /expire  {}        compact history: open watches get ERROR 410, old RVs get 410
  POST /drop    {}        abruptly close every open watch (no final chunk)
  POST /slow    {"list": s, "watch": s}   delay responses
  POST /token   {"token": t}              accept only this token from now on
  POST /bookmarks {"interval": s}
  GET  /stats   counters
Ports are written as JSON to --port-file once both are listening.
"""
import argparse
import base64
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class World:
    def __init__(self, rv_base):
        self.cond = threading.Condition()
        self.objects = {}  # (resource, ns, name) -> object; resource "secrets" or "namespaces"
        self.rv = rv_base
        self.compacted = rv_base  # watches from an older RV get 410
        self.events = []  # (rv, type, object)
        self.drop_gen = 0
        self.expire_gen = 0
        self.garbage_gen = 0  # open watches send a line that is not a WatchEvent
        self.stall_gen = 0  # open watches go silent (no events, no bookmarks, no end)
        self.list_delay = 0.0
        self.watch_delay = 0.0
        self.bookmark_interval = 0.5
        self.token = None
        self.stats = {"lists": 0, "watches": 0, "unauthorized": 0, "bookmarks": 0,
                      "errors_sent": 0, "dropped": 0, "garbage_sent": 0, "stalled": 0, "paths": []}

    def change(self, kind, ns, name, data=None, labels=None, resource="secrets"):
        with self.cond:
            self.rv += 1
            key = (resource, ns, name)
            if kind == "DELETED":
                obj = self.objects.pop(key, None)
                if obj is None:
                    return
                obj = json.loads(json.dumps(obj))
            else:
                kind = "MODIFIED" if key in self.objects else "ADDED"
                meta = {"name": name, "uid": f"uid-{ns}-{name}",
                        "creationTimestamp": "2026-01-01T00:00:00Z"}
                if resource == "secrets":
                    meta["namespace"] = ns
                    obj = {"kind": "Secret", "apiVersion": "v1", "metadata": meta,
                           "type": "Opaque", "data": data or {}}
                else:
                    meta["labels"] = labels or {}
                    obj = {"kind": "Namespace", "apiVersion": "v1", "metadata": meta,
                           "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
                self.objects[key] = obj
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.events.append((self.rv, kind, resource, json.loads(json.dumps(obj))))
            self.cond.notify_all()


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def make_api_handler(world):
    class Api(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the test output is checked for leaks
            pass

        def send_json(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def chunk(self, data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def event(self, type_, obj):
            self.chunk(json.dumps({"type": type_, "object": obj}).encode() + b"\n")

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            with world.cond:
                world.stats["paths"].append(self.path)
                token = world.token
            if self.headers.get("Authorization") != "Bearer " + token:
                with world.cond:
                    world.stats["unauthorized"] += 1
                return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
            parts = url.path.strip("/").split("/")
            if parts == ["api", "v1", "secrets"]:
                resource, ns = "secrets", None
            elif parts == ["api", "v1", "namespaces"]:
                resource, ns = "namespaces", None
            elif len(parts) == 5 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "secrets":
                resource, ns = "secrets", parts[3]
            else:
                return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
            if q.get("watch") in ("1", "true"):
                return self.watch(resource, ns, q)
            return self.list(resource, ns, q)

        def list(self, resource, ns, q):
            time.sleep(world.list_delay)
            with world.cond:
                world.stats["lists"] += 1
                items = [o for (r, n, _), o in sorted(world.objects.items())
                         if r == resource and (ns is None or n == ns)]
                rv = world.rv
                compacted = world.compacted
            start = 0
            if q.get("continue"):
                tok = json.loads(base64.b64decode(q["continue"]))
                if tok["rv"] < compacted:
                    return self.send_json(410, status(410, "Expired", "The provided continue parameter is too old"))
                start, rv = tok["start"], tok["rv"]
            limit = int(q.get("limit", "0") or 0)
            page = items[start:start + limit] if limit else items[start:]
            # As the real API server: list items carry no kind/apiVersion.
            page = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page]
            meta = {"resourceVersion": str(rv)}
            if limit and start + limit < len(items):
                meta["continue"] = base64.b64encode(json.dumps({"start": start + limit, "rv": rv}).encode()).decode()
                meta["remainingItemCount"] = len(items) - start - limit
            kind = "SecretList" if resource == "secrets" else "NamespaceList"
            self.send_json(200, {"kind": kind, "apiVersion": "v1", "metadata": meta, "items": page})

        def watch(self, resource, ns, q):
            time.sleep(world.watch_delay)
            rv = int(q.get("resourceVersion") or 0)
            timeout = float(q.get("timeoutSeconds") or 1800)
            bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
            with world.cond:
                world.stats["watches"] += 1
                drop_gen, expire_gen = world.drop_gen, world.expire_gen
                garbage_gen, stall_gen = world.garbage_gen, world.stall_gen
                too_old = rv < world.compacted
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            if too_old:
                with world.cond:
                    world.stats["errors_sent"] += 1
                self.event("ERROR", status(410, "Expired", f"too old resource version: {rv} ({world.compacted})"))
                self.chunk(b"")
                return
            deadline = time.monotonic() + timeout
            next_bookmark = time.monotonic() + world.bookmark_interval
            sent = rv
            try:
                while True:
                    with world.cond:
                        world.cond.wait(0.05)
                        if world.drop_gen != drop_gen:
                            world.stats["dropped"] += 1
                            self.close_connection = True
                            try:
                                self.request.shutdown(socket.SHUT_RDWR)
                            except OSError:
                                pass
                            return
                        if world.stall_gen != stall_gen:
                            world.stats["stalled"] += 1
                            stalled = True
                        else:
                            stalled = False
                        garbage = world.garbage_gen != garbage_gen
                        if garbage:
                            garbage_gen = world.garbage_gen
                            world.stats["garbage_sent"] += 1
                        if world.expire_gen != expire_gen:
                            world.stats["errors_sent"] += 1
                            expired = True
                        else:
                            expired = False
                        pending = [(r, t, o) for (r, t, res, o) in world.events
                                   if r > sent and res == resource and
                                   (ns is None or o["metadata"].get("namespace") == ns)]
                        current = world.rv
                    if stalled:  # hold the connection open and say nothing until the client gives up
                        time.sleep(30)  # a daemon thread: the process exits under it
                        self.close_connection = True
                        return
                    if garbage:  # what a broken proxy or a truncated buffer might send
                        self.chunk(b'{"type":"ADDED","object":{"kind":"Secret","metadata":<html>502</html>\n')
                    if expired:
                        self.event("ERROR", status(410, "Expired", "too old resource version"))
                        self.chunk(b"")
                        return
                    for r, t, o in pending:
                        self.event(t, o)
                        sent = r
                    now = time.monotonic()
                    if bookmarks and now >= next_bookmark:
                        with world.cond:
                            world.stats["bookmarks"] += 1
                        self.event("BOOKMARK", {"kind": "Secret" if resource == "secrets" else "Namespace",
                                                "apiVersion": "v1",
                                                "metadata": {"resourceVersion": str(max(sent, current))}})
                        sent = max(sent, current)
                        next_bookmark = now + world.bookmark_interval
                    if now >= deadline:
                        self.chunk(b"")  # the clean end of a watch
                        return
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                self.close_connection = True

    return Api


def make_control_handler(world):
    class Control(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, obj):
            body = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def do_GET(self):
            with world.cond:
                self.reply(dict(world.stats, rv=world.rv))

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(n) or b"{}")
            op = self.path.strip("/")
            if op == "put":
                world.change("ADDED", body["namespace"], body["name"], body.get("data", {}))
            elif op == "delete":
                world.change("DELETED", body["namespace"], body["name"])
            elif op == "put-namespace":
                world.change("ADDED", "", body["name"], labels=body.get("labels", {}), resource="namespaces")
            elif op == "delete-namespace":
                world.change("DELETED", "", body["name"], resource="namespaces")
            elif op == "expire":
                with world.cond:
                    world.rv += 1
                    world.compacted = world.rv
                    world.events = []
                    world.expire_gen += 1
                    world.cond.notify_all()
            elif op in ("garbage", "stall", "drop"):  # what every open watch does next
                with world.cond:
                    setattr(world, op + "_gen", getattr(world, op + "_gen") + 1)
                    world.cond.notify_all()
            elif op == "slow":
                world.list_delay = float(body.get("list", 0))
                world.watch_delay = float(body.get("watch", 0))
            elif op == "token":
                with world.cond:
                    world.token = body["token"]
            elif op == "bookmarks":
                world.bookmark_interval = float(body["interval"])
            self.reply({"ok": True})

    return Control


class QuietServer(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or hang up are part of the tests


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--control-port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--rv-base", type=int, default=100)
    a = p.parse_args()

    world = World(a.rv_base)
    world.token = a.token

    api = QuietServer(("127.0.0.1", a.port), make_api_handler(world))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    api.socket = ctx.wrap_socket(api.socket, server_side=True)
    control = QuietServer(("127.0.0.1", a.control_port), make_control_handler(world))

    threading.Thread(target=control.serve_forever, daemon=True).start()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"api": api.server_address[1], "control": control.server_address[1]}, f)
    os.rename(tmp, a.port_file)
    api.serve_forever()


if __name__ == "__main__":
    main()
