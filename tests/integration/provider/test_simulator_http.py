"""The provider client against the simulator over real HTTP on loopback."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from dispatcher.domain.codes import Outcome
from dispatcher.domain.message import Method
from dispatcher.errors import MaybeSent, NeverSent
from dispatcher.provider.client import ProviderClient, ProviderConfig
from dispatcher.provider.simserver import SimulatorControl, SimulatorServer

pytestmark = pytest.mark.integration


def client_for(server: SimulatorServer, **kw: object) -> ProviderClient:
    config = ProviderConfig(
        send_url=server.send_url,
        balance_url=server.balance_url,
        user="demo",
        token="demo-token",
        **kw,  # type: ignore[arg-type]
    )
    return ProviderClient(config)


@pytest.mark.parametrize("verb", ["POST", "GET"])
def test_send_and_balance_over_http(
    simulator: SimulatorServer, sim_control: SimulatorControl, verb: str
) -> None:
    with client_for(simulator, http_method=verb) as client:
        before = client.balance()
        numbers = [f"5730011{i:05d}" for i in range(1000)] + ["5730011", "380123456789"]
        answer = client.send_block(numbers, "hola", Method.ONE_WAY)
        assert len(answer.by_outcome(Outcome.ACCEPTED)) == 1000
        assert [r.outcome for r in answer.results[-2:]] == [Outcome.INVALID, Outcome.REJECTED]
        assert client.balance() == before - 1000
    record = sim_control.requests()
    assert len(record) == 1 and record[0]["verb"] == verb and len(record[0]["numbers"]) == 1002


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "http_500"},
        {"kind": "drop"},
        {"kind": "garbage"},
        {"kind": "slow", "delay_s": 1.5},
    ],
)
def test_faults_are_maybe_sent_and_the_numbers_did_go_out(
    simulator: SimulatorServer, sim_control: SimulatorControl, fault: dict[str, object]
) -> None:
    sim_control.add_faults(fault)
    with client_for(simulator, read_timeout_s=0.5) as client, pytest.raises(MaybeSent):
        client.send_block(["573001112233", "573001112234"], "hola", Method.ONE_WAY)
    # The simulator processed the block before the fault: the messages did go out,
    # which is exactly why the client must not say "never sent".
    assert sim_control.state()["accepted_messages"] == 2
    assert sim_control.state()["pending_faults"] == []


def test_fault_without_processing_and_fault_counts(
    simulator: SimulatorServer, sim_control: SimulatorControl
) -> None:
    sim_control.add_faults({"kind": "http_500", "times": 2, "process": False})
    with client_for(simulator) as client:
        for _ in range(2):
            with pytest.raises(MaybeSent):
                client.send_block(["573001112233"], "hola", Method.ONE_WAY)
        assert (
            client.send_block(["573001112233"], "hola", Method.ONE_WAY).results[0].outcome
            is Outcome.ACCEPTED
        )
    assert sim_control.duplicates() == {}
    assert [r["fault"] for r in sim_control.requests(numbers=False)] == [
        "http_500",
        "http_500",
        None,
    ]


def test_nothing_listening_is_never_sent() -> None:
    config = ProviderConfig(
        send_url="http://127.0.0.1:9/sendsms",
        balance_url="http://127.0.0.1:9/q",
        user="u",
        token="t",
    )
    with ProviderClient(config) as client, pytest.raises(NeverSent):
        client.send_block(["573001112233"], "hola", Method.ONE_WAY)


def test_record_has_start_times_for_spacing_checks(
    simulator: SimulatorServer, sim_control: SimulatorControl
) -> None:
    with client_for(simulator) as client:
        for _ in range(3):
            client.send_block(["573001112233"], "hola", Method.ONE_WAY)
    starts = [r["started_at"] for r in sim_control.requests()]
    assert starts == sorted(starts) and len(starts) == 3
    assert sim_control.duplicates() == {"573001112233": 3}


def test_reply_delivery(sim_control: SimulatorControl) -> None:
    got: list[dict[str, list[str]]] = []

    class Inbound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            got.append(parse_qs(urlsplit(self.path).query))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Inbound)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    result = sim_control.reply(
        f"http://127.0.0.1:{server.server_address[1]}/inbound", "SALIR", "573001112233"
    )
    thread.join(5)
    server.server_close()
    assert result["delivered"] is True
    assert got == [{"mensaje": ["SALIR"], "celular": ["573001112233"]}]


def test_control_api_errors_are_clear(sim_control: SimulatorControl) -> None:
    with pytest.raises(ValueError, match="unknown simulator settings"):
        sim_control.configure(colour="red")


def test_before_send_runs_once_connected_and_before_the_first_byte(
    simulator: SimulatorServer,
) -> None:
    seen: list[int] = []
    with client_for(simulator) as client:
        client.send_block(
            ["573001112233"],
            "hola",
            Method.ONE_WAY,
            lambda: seen.append(len(simulator.sim.records)),
        )
        client.send_block(
            ["573001112234"],
            "hola",
            Method.ONE_WAY,
            lambda: seen.append(len(simulator.sim.records)),
        )
    assert seen == [0, 1]  # each time before the simulator saw that request


def test_a_failing_before_send_sends_nothing(simulator: SimulatorServer) -> None:
    def pace_unknown() -> None:
        raise ConnectionError("redis down, token=abc")

    with client_for(simulator) as client, pytest.raises(NeverSent) as caught:
        client.send_block(["573001112233"], "hola", Method.ONE_WAY, pace_unknown)
    assert "was not sent" in str(caught.value) and "abc" not in str(caught.value)
    assert simulator.sim.records == []
