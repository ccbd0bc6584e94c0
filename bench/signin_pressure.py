"""Does a password-guessing attacker slow everyone else down? `authorize` throughput with and
without one.

Run with ``.venv/bin/python bench/signin_pressure.py`` (or ``--quick`` for a smoke run).

One gateway, one uvicorn worker, on a database seeded as ``graphql_throughput.py`` seeds it
(user ``alice`` in three groups with ten managed policies; a temporary SQLite file, or
``--database-url``), behind a proxy as there (every request names its client in
``X-Forwarded-For``; the attacker's is ``ATTACKER_ADDRESS``). The load is an application
asking ``authorize`` for alice (allowed) with her bearer token, N keep-alive connections,
closed loop, from wrk when it is installed (one thread, every answer checked by its Lua
script, as ``graphql_throughput.py``'s workers measurement) and from that bench's Python load
generator otherwise (``--generator`` chooses). On a machine of 2 cores the Python generator
takes half a core beside the server, which then competes with the hashing for what is left:
the attacker's cost to the server, not to the load generator, is what the target is about.
Each round measures it twice, in alternating order:

* ``quiet``: nothing else reaches the server;
* ``under attack``: meanwhile an attacker sends ``--attack-rate`` (5) wrong passwords per
  second for alice, at a fixed pace whatever the answers' delay.

The server runs with lockout thresholds so high that no attempt is ever locked out, so that
every one of the attacker's passwords is verified with Argon2id at the gateway's cost (its
settings, ``GATEWAY_PASSWORD_HASH_*``, which the seed reads too): the worst case (an attacker
spread over many addresses and names); a locked attempt costs no hash at all. The target
(issue 11): the attacker lowers ``authorize`` throughput by at most 15 %, judged on the
median of the rounds' ratios. It holds when hashing runs beside the event loop
(``gateway.services.passwords``' thread pool), and not when it runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for entry in (str(ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import graphql_throughput as load  # noqa: E402  (the shared servers, seed and load generator)

TARGET_LOSS = 0.15
NO_LOCKOUT = str(10**9)
SIGN_IN = (
    "mutation($a: String!, $u: String!, $p: String!) "
    "{ signIn(account: $a, userName: $u, password: $p) { token } }"
)


ATTACKER_ADDRESS = "203.0.113.66"


def authorize_query(user_arn: str) -> str:
    return f'{{ authorize(action: "iam:ListGroupsForUser", resource: "{user_arn}") {{ allowed }} }}'


def authorize_load(database_url: str, seeded: load.Seeded) -> load.Load:
    """Alice's `authorize` on a gateway that never locks an attempt out."""
    server = load.gateway_server(database_url)
    server.env["GATEWAY_LOCKOUT_IDENTITY_FAILURES"] = NO_LOCKOUT
    server.env["GATEWAY_LOCKOUT_ADDRESS_FAILURES"] = NO_LOCKOUT
    return load.Load(
        "a",
        "authorize",
        server,
        authorize_query(seeded.user_arn),
        caller="alice",
        expected={"authorize": {"allowed": True}},
    )


class Attacker:
    """Wrong passwords for alice at a fixed rate, from a thread of its own, until stopped;
    counts the answers' error codes."""

    def __init__(self, server: load.Server, seeded: load.Seeded, rate: float) -> None:
        self.url = server.url
        self.variables = {"a": seeded.account_id, "u": load.USER_NAME, "p": "Wrong-Passw0rd-1"}
        self.rate = rate
        self.answers: Counter[str] = Counter()
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> Attacker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    async def _run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
            started, sent, pending = time.perf_counter(), 0, set()
            while not self._stop.is_set():
                pending.add(asyncio.create_task(self._guess(client)))
                sent += 1
                await asyncio.sleep(max(0.0, started + sent / self.rate - time.perf_counter()))
            await asyncio.gather(*pending, return_exceptions=True)

    async def _guess(self, client: httpx.AsyncClient) -> None:
        began = time.perf_counter()
        body = {"query": SIGN_IN, "variables": self.variables}
        headers = {"X-Forwarded-For": ATTACKER_ADDRESS}
        answer = (await client.post("/graphql", json=body, headers=headers)).json()
        self.latencies.append(time.perf_counter() - began)
        codes = [e.get("extensions", {}).get("code", "?") for e in answer.get("errors") or []]
        self.answers[",".join(codes) or "signed in"] += 1


def hashing_parameters() -> str:
    """The Argon2id parameters alice's password is hashed with: the gateway's settings
    (`GATEWAY_PASSWORD_HASH_*`, which the seed and the server both read)."""
    from gateway.config import Settings

    settings = Settings.from_env()
    return (
        f"m={settings.password_hash_memory_kib},t={settings.password_hash_iterations},"
        f"p={settings.password_hash_parallelism}"
    )


def run(args: argparse.Namespace, database_url: str) -> int:
    print(f"seeding ({database_url.split(':')[0]})", file=sys.stderr)
    seeded = asyncio.run(load.seed(database_url, args.seed))
    authorize = authorize_load(database_url, seeded)
    server = authorize.server
    runs: dict[str, list[load.Measurement]] = {"quiet": [], "under attack": []}
    answers: Counter[str] = Counter()
    guess_latencies: list[float] = []
    measure = load.measure_with_wrk if args.generator == "wrk" else load.measure
    with load.running([server]):
        load.prepare(authorize, seeded, {})  # alice signs in; the answer must allow
        for round_ in range(args.rounds):
            order = ["quiet", "under attack"] if round_ % 2 == 0 else ["under attack", "quiet"]
            for scenario in order:
                if scenario == "quiet":
                    measured = measure(authorize, round_, args)
                else:
                    with Attacker(server, seeded, args.attack_rate) as attacker:
                        measured = measure(authorize, round_, args)
                    answers.update(attacker.answers)
                    guess_latencies.extend(attacker.latencies)
                if measured.failures:
                    raise load.BenchError(f"{scenario}: {measured.failure_samples}")
                runs[scenario].append(measured)
                print(f"round {round_ + 1} {scenario}: {measured.rps:.0f} req/s", file=sys.stderr)
    if set(answers) != {"Unauthenticated"}:
        raise load.BenchError(f"the attacker's guesses were not all verified: {dict(answers)}")
    return report(args, runs, answers, guess_latencies, database_url)


def report(
    args: argparse.Namespace,
    runs: dict[str, list[load.Measurement]],
    answers: Counter[str],
    guess_latencies: list[float],
    database_url: str,
) -> int:
    rows = {scenario: load.summarise(scenario, measured) for scenario, measured in runs.items()}
    ratios = [
        attacked.rps / quiet.rps
        for quiet, attacked in zip(runs["quiet"], runs["under attack"], strict=True)
    ]
    ratio = statistics.median(ratios)
    print(
        f"\nauthorize throughput, one worker, {args.connections} connections, {args.rounds} "
        f"rounds of {args.duration:g} s ({database_url.split(':')[0]}); attacker: "
        f"{args.attack_rate:g} wrong passwords/s, every one verified (Argon2id "
        f"{hashing_parameters()}); load from "
        f"{'wrk' if args.generator == 'wrk' else 'the Python load generator'}"
    )
    print(f"{'scenario':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}  rounds")
    for row in rows.values():
        rounds = ", ".join(f"{r:.0f}" for r in row.rps_rounds)
        print(
            f"{row.label:<16}{row.rps:>10.0f}{row.p50_ms:>9.2f}{row.p99_ms:>9.2f}"
            f"{row.requests:>10}  {rounds}"
        )
    guesses = sum(answers.values())
    median_guess = statistics.median(guess_latencies) * 1e3 if guess_latencies else float("nan")
    print(
        f"attacker: {guesses} wrong passwords answered ({dict(answers)}), "
        f"median answer {median_guess:.0f} ms"
    )
    print(
        f"under attack / quiet, per round: {', '.join(f'{r:.3f}' for r in ratios)} "
        f"(median {ratio:.3f})"
    )
    verdict = "PASS" if ratio >= 1 - TARGET_LOSS else "FAIL"
    print(
        f"\n{verdict}: the attacker lowers authorize throughput by {(1 - ratio) * 100:.1f} % "
        f"(median of the rounds; target ≤ {TARGET_LOSS * 100:.0f} %)"
    )
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, help="seconds measured per scenario (5)")
    parser.add_argument("--rounds", type=int, help="rounds, each measuring both scenarios (3)")
    parser.add_argument("--connections", type=int, help="keep-alive connections (32)")
    parser.add_argument("--warmup", type=float, help="untimed seconds before each measurement")
    parser.add_argument("--attack-rate", type=float, default=5.0, help="wrong passwords/s (5)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=2024, help="seeds the gateway's data")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s, 1 round")
    parser.add_argument(
        "--generator",
        choices=("wrk", "python"),
        default="wrk" if load.WRK else "python",
        help="the load: wrk (the default when installed) or the Python load generator",
    )
    args = parser.parse_args(argv)
    if args.generator == "wrk" and load.WRK is None:
        parser.error("--generator wrk: wrk is not installed (apt-get install wrk)")
    defaults = (1.0, 1, 8) if args.quick else (5.0, 3, load.TARGET_CONNECTIONS)
    for name, default in zip(("duration", "rounds", "connections"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.warmup is None:
        args.warmup = min(1.0, args.duration / 5)
    if args.duration <= 0 or args.rounds < 1 or args.connections < 1 or args.attack_rate <= 0:
        parser.error("--duration, --rounds, --connections and --attack-rate must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return load.run_on_database(run, parse_args(argv), prefix="bench-signin-")


if __name__ == "__main__":
    sys.exit(main())
