"""The simulator behind a real HTTP server on loopback, and a client for its control API.

Provider endpoints (any path ending in ``sendsms`` or ``query.php``, GET or POST)::

    /sms/back_sms/public/api/sendsms      /itcloud/api/sendsms/query.php

Control API (JSON)::

    GET  /_sim/state                 balance, counts, config (no secrets)
    POST /_sim/config                change settings (balance, enforce_window, fixed_now,
                                     accounts: more users with their own token and balance)
    POST /_sim/balance               {"user", "balance"}: one account's balance
    POST /_sim/faults                {"faults": [{"kind": "http_500|slow|drop|garbage", ...}]}
    DELETE /_sim/faults              clear pending faults
    GET  /_sim/requests?since=N&numbers=0   the record of send requests
    GET  /_sim/duplicates            numbers accepted more than once
    POST /_sim/reset                 back to the start-up state
    POST /_sim/reply                 {"url", "mensaje", "celular"}: deliver a reply (2via)
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from dispatcher.provider.simulator import ProviderSimulator, SimAnswer, SimConfig

_MAX_BODY = 8 * 1024 * 1024
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; SCM_TIMESTAMPNS is the same


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the record is the log, and GET URLs carry the token

    # -- plumbing ---------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _params(self, body: bytes) -> dict[str, str]:
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        ctype = self.headers.get("Content-Type", "")
        if body and "application/x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params

    def _send(self, status: int, body: str, ctype: str = "text/html; charset=UTF-8") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, default=str), "application/json")

    def _deliver(self, outcome: SimAnswer) -> None:
        if outcome.delay_s:
            time.sleep(outcome.delay_s)
        if outcome.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(outcome.status, outcome.body)

    # -- routes -------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        # The kernel stamps each packet as it arrives: a request's start is then when
        # its first byte reached this host, not when a Python thread got round to it
        # (several requests arriving together would otherwise look spaced wrongly).
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
            self._stamped = True
        except OSError:
            self._stamped = False

    def handle_one_request(self) -> None:
        self._arrived = self._arrival()
        super().handle_one_request()

    def _arrival(self) -> tuple[float, float]:
        """(wall, monotonic) when the next request's first byte arrived; now, as a
        fallback, where the kernel cannot say."""
        if self._stamped:
            try:
                data, ancillary, _flags, _addr = self.connection.recvmsg(
                    1, socket.CMSG_SPACE(16), socket.MSG_PEEK
                )
            except OSError:
                data, ancillary = b"", []
            for level, kind, value in ancillary:
                if data and level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                    seconds, nanos = struct.unpack("qq", value[:16])
                    arrived = seconds + nanos / 1e9
                    return arrived, time.monotonic() - (time.time() - arrived)
        return time.time(), time.monotonic()

    def do_GET(self) -> None:
        self._route("GET", b"")

    def do_POST(self) -> None:
        try:
            body = self._body()
        except ValueError:
            self._send(413, "body too large")
            return
        self._route("POST", body)

    def do_DELETE(self) -> None:
        self._route("DELETE", self._body())

    def _route(self, verb: str, body: bytes) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        sim = self.server.sim
        if path.startswith("/_sim"):
            self._control(verb, path, body)
        elif path.endswith("sendsms"):
            self._deliver(sim.handle_send(self._params(body), verb, self._arrived))
        elif path.endswith("query.php"):
            self._deliver(sim.handle_balance(self._params(body)))
        else:
            self._send(404, "not found")

    def _control(self, verb: str, path: str, body: bytes) -> None:
        sim = self.server.sim
        query = dict(parse_qsl(urlsplit(self.path).query))
        try:
            payload = json.loads(body) if body else {}
            if verb == "GET" and path == "/_sim/state":
                self._json(200, sim.state())
            elif verb == "GET" and path == "/_sim/requests":
                since = int(query.get("since", "0"))
                numbers = query.get("numbers", "1") != "0"
                self._json(200, sim.record_dicts(since, with_numbers=numbers))
            elif verb == "GET" and path == "/_sim/duplicates":
                self._json(200, sim.duplicates())
            elif verb == "POST" and path == "/_sim/config":
                self._json(200, sim.configure(payload))
            elif verb == "POST" and path == "/_sim/balance":
                sim.set_balance(str(payload["user"]), int(payload["balance"]))
                self._json(200, sim.state())
            elif verb == "POST" and path == "/_sim/faults":
                self._json(200, {"pending": sim.add_faults(payload.get("faults", []))})
            elif verb == "DELETE" and path == "/_sim/faults":
                sim.clear_faults()
                self._json(200, {"pending": 0})
            elif verb == "POST" and path == "/_sim/reset":
                sim.reset()
                self._json(200, sim.state())
            elif verb == "POST" and path == "/_sim/reply":
                self._json(200, _deliver_reply(payload))
            else:
                self._json(404, {"detail": f"no control route {verb} {path}"})
        except (ValueError, TypeError, KeyError) as exc:
            self._json(400, {"detail": str(exc)})


def _deliver_reply(payload: dict[str, Any]) -> dict[str, Any]:
    """Act as the provider calling the customer's registered URL with a reply."""
    url = str(payload["url"])
    params = {"mensaje": str(payload["mensaje"]), "celular": str(payload["celular"])}
    try:
        response = httpx.get(url, params=params, timeout=10)
    except httpx.HTTPError as exc:
        return {"delivered": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"delivered": response.status_code < 400, "status": response.status_code}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: ProviderSimulator):
        super().__init__(address, _Handler)
        self.sim = sim

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away (a killed worker, a timeout): nothing to report
        super().handle_error(request, client_address)


class SimulatorServer:
    """Run the simulator on ``host:port`` (port 0 picks a free one) in a thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, config: SimConfig | None = None):
        self.sim = ProviderSimulator(config)
        self._server = _Server((host, port), self.sim)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._server.server_address[0]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host}:{self.port}"

    @property
    def send_url(self) -> str:
        return self.base_url + "/sms/back_sms/public/api/sendsms"

    @property
    def balance_url(self) -> str:
        return self.base_url + "/itcloud/api/sendsms/query.php"

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="provider-sim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class SimulatorControl:
    """Client for the control API of a simulator running anywhere (another process too)."""

    def __init__(self, base_url: str, timeout_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def _call(self, verb: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(verb, "/_sim" + path, **kwargs)
        if response.status_code >= 400:
            raise ValueError(f"simulator said {response.status_code}: {response.text}")
        return response.json()

    def state(self) -> dict[str, Any]:
        return dict(self._call("GET", "/state"))

    def configure(self, **changes: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/config", json=changes))

    def set_balance(self, user: str, balance: int) -> dict[str, Any]:
        return dict(self._call("POST", "/balance", json={"user": user, "balance": balance}))

    def add_faults(self, *faults: dict[str, Any]) -> int:
        return int(self._call("POST", "/faults", json={"faults": list(faults)})["pending"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self, since: int = 0, numbers: bool = True) -> list[dict[str, Any]]:
        params = {"since": since, "numbers": int(numbers)}
        return list(self._call("GET", "/requests", params=params))

    def duplicates(self) -> dict[str, int]:
        return dict(self._call("GET", "/duplicates"))

    def reset(self) -> dict[str, Any]:
        return dict(self._call("POST", "/reset"))

    def reply(self, url: str, mensaje: str, celular: str) -> dict[str, Any]:
        return dict(
            self._call("POST", "/reply", json={"url": url, "mensaje": mensaje, "celular": celular})
        )
