"""A password hasher for tests that records what it verifies."""

from __future__ import annotations

from typing import Literal

from argon2 import Parameters, PasswordHasher, extract_parameters


class CountingHasher(PasswordHasher):
    """A cheap hasher (unless given costs) that records the parameters of every hash it
    verifies against: how many verifications an attempt cost, and at what price."""

    def __init__(self, time_cost: int = 1, memory_cost: int = 8) -> None:
        super().__init__(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
        self.verified: list[Parameters] = []

    @property
    def verifications(self) -> int:
        return len(self.verified)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        text = hash.decode() if isinstance(hash, bytes) else hash
        self.verified.append(extract_parameters(text))
        return super().verify(hash, password)
