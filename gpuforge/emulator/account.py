"""The emulated AWS account: moto, in this process or behind a local HTTP server.

``EmulatedAccount`` owns the moto backends for its lifetime. Inside its scope the
environment carries fake credentials (and, in server mode, ``AWS_ENDPOINT_URL``), so
no call can reach real AWS; leaving the scope restores the environment and wipes the
account. moto's backends are process-global: use one account at a time per process.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from . import _speedups, determinism

ACCOUNT_ID = "123456789012"  # moto's default account
FAKE_KEY = "testing"

_ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "MOTO_IAM_LOAD_MANAGED_POLICIES",
    "MOTO_EC2_LOAD_DEFAULT_AMIS",
    "MOTO_ACCOUNT_ID",
)


class EmulatedAccount:
    """A moto-backed AWS account, usable as a context manager.

    :param region: the region every client talks to (``us-east-1`` by default).
    :param mode: ``"inprocess"`` patches botocore in this process (``moto.mock_aws``);
        ``"server"`` runs ``moto.server.ThreadedMotoServer`` on 127.0.0.1 with a free
        port, so other processes can share the account through :attr:`env`.
    :param account_id: the 12-digit account to emulate (moto's default when None); the
        plan passes the spec's account so that its ARNs and admin roles line up.
    :param seed: seeds the account's one source of ids (:attr:`random`); with the
        fixed clock (:mod:`emulator.determinism`) the same calls give the same ids,
        ARNs and timestamps in every run.
    :param fixed_clock: timestamps read :data:`determinism.EPOCH` (a plan's
        reproducibility); False for an account people watch live (`make demo`'s S3),
        where objects carry the time they were written.
    """

    account_id = ACCOUNT_ID
    partition = "aws"
    _open: EmulatedAccount | None = None  # moto's backends are process-global

    def __init__(
        self,
        region: str = "us-east-1",
        mode: Literal["inprocess", "server"] = "inprocess",
        account_id: str | None = None,
        seed: int = determinism.DEFAULT_SEED,
        fixed_clock: bool = True,
    ) -> None:
        if mode not in ("inprocess", "server"):
            raise ValueError(f"mode must be 'inprocess' or 'server', not {mode!r}")
        self.account_id = account_id or ACCOUNT_ID
        self.region = region
        self.mode = mode
        self.seed = seed
        self.fixed_clock = fixed_clock
        self.random: Any = None  # moto's generator, seeded at start
        self.endpoint_url: str | None = None
        self._saved_env: dict[str, str | None] | None = None
        self._mock: Any = None
        self._server: Any = None
        self._werkzeug_level = logging.NOTSET
        self._clients: dict[str, Any] = {}
        self._state: Any = None
        self._lock = threading.Lock()
        self._draws = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> EmulatedAccount:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def started(self) -> bool:
        return self._saved_env is not None

    def start(self) -> None:
        """Set fake credentials, start moto, and (server mode) the HTTP endpoint."""
        if self.started:
            raise RuntimeError("EmulatedAccount already started")
        if EmulatedAccount._open is not None:
            raise RuntimeError(
                "another EmulatedAccount is open in this process; moto's state is "
                "process-global, so close it first"
            )
        EmulatedAccount._open = self
        self._saved_env = {key: os.environ.get(key) for key in _ENV_KEYS}
        for key in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE"):
            os.environ.pop(key, None)
        os.environ.pop("AWS_DEFAULT_PROFILE", None)
        os.environ.update(self._base_env())
        os.environ["AWS_CONFIG_FILE"] = os.devnull
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        # Loading all ~1300 AWS-managed policies costs ~1 s per account; the IAM
        # handlers load the ones a program attaches instead (handlers/iam.py).
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "false"
        # moto's few thousand default AMIs cost ~0.5 s on the first EC2 call; nothing
        # gpuforge builds names an AMI (node groups use amiType, and the SSM handler
        # registers the EKS AMI it answers with).
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        try:
            _speedups.install()
            if self.mode == "inprocess":
                import moto

                self._mock = moto.mock_aws()
                self._mock.start()
            else:
                from moto.server import ThreadedMotoServer

                # werkzeug logs every request to stderr; gpuforge's stderr is for people.
                werkzeug = logging.getLogger("werkzeug")
                self._werkzeug_level = werkzeug.level
                werkzeug.setLevel(logging.ERROR)
                self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
                self._server.start()
                host, port = self._server.get_host_and_port()
                self.endpoint_url = f"http://{host}:{port}"
                os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
            self.random = determinism.seeded_random(self.seed)
            if self.fixed_clock:
                determinism.freeze_clock()
            self._warm_backends()
        except BaseException:
            determinism.thaw_clock()
            _speedups.uninstall()
            self._restore_env()
            EmulatedAccount._open = None
            raise

    def _warm_backends(self) -> None:
        """Create moto's EC2 backend now, under its own seed.

        moto builds a region's EC2 backend on first use, and building it draws ids
        (the default VPC, its subnets and security group) from the shared generator.
        Left to first use, those draws would land inside whichever resource's
        `ids_for` block came first, which varies with Pulumi's registration order,
        and shift that resource's ids from run to run.
        """
        with self.ids_for("moto-backends"):
            self.client("ec2").describe_vpcs()

    def stop(self) -> None:
        """Stop moto, drop this account's state, and restore the environment."""
        if not self.started:
            return
        try:
            self._clients.clear()
            self._state = None
            if self._mock is not None:
                self._mock.stop()
                self._mock = None
            if self._server is not None:
                self._server.stop()
                self._server = None
                _reset_moto_backends()
                _drop_clients(self.endpoint_url)
                self.endpoint_url = None
                logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
        finally:
            self.random = None
            determinism.thaw_clock()
            _speedups.uninstall()
            self._restore_env()
            EmulatedAccount._open = None

    def _restore_env(self) -> None:
        saved, self._saved_env = self._saved_env or {}, None
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _base_env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "MOTO_ACCOUNT_ID": self.account_id,
        }

    @property
    def env(self) -> dict[str, str]:
        """Environment another process needs to use this account (server mode)."""
        if self.mode != "server" or self.endpoint_url is None:
            raise RuntimeError("env is only available for a started account in server mode")
        return {**self._base_env(), "AWS_ENDPOINT_URL": self.endpoint_url}

    # -- access ------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` in this account's region.

        Clients are cached per process (by service, region and endpoint): building
        one from a cold botocore loader costs ~0.2 s, from a warm one ~10 ms, and
        moto serves whichever client calls while an account is started.
        """
        if not self.started:
            raise RuntimeError("EmulatedAccount is not started (use it as a context manager)")
        client = self._clients.get(service)
        if client is None:
            client = _shared_client(service, self.region, self.endpoint_url)
            self._clients[service] = client
        return client

    @contextmanager
    def ids_for(self, key: str) -> Iterator[None]:
        """Make the ids drawn inside this block depend only on the seed and `key`.

        One block at a time: draws for two resources never interleave.
        """
        if not self.started:
            raise RuntimeError("EmulatedAccount is not started (use it as a context manager)")
        with self._draws:
            self.random.seed(determinism.key_seed(self.seed, key))
            yield

    @property
    def state(self) -> Any:
        """The emulator's own records for this account (:class:`emulator.moto_gaps.EmulatorState`):
        what moto does not keep (EKS add-ons, access entries, placement groups...)."""
        if self._state is None:
            from .moto_gaps import EmulatorState

            with self._lock:
                if self._state is None:
                    self._state = EmulatorState(
                        self.account_id, self.region, self.partition, random=self.random
                    )
        return self._state

    def backend(self, service: str, region: str | None = None) -> Any:
        """moto's backend object for ``service`` (both modes run moto in this process);
        ``region="global"`` for IAM."""
        from moto.backends import get_backend

        backends = get_backend(service)  # type: ignore[call-overload]
        return backends[self.account_id][region or self.region]


_client_lock = threading.Lock()
_clients: dict[tuple[str, str, str | None], Any] = {}
_session: Any = None


def _shared_session() -> Any:
    """The one boto3 session every shared client comes from (call with _client_lock held)."""
    global _session
    if _session is None:
        import boto3

        _session = boto3.session.Session(aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_KEY)
    return _session


def _shared_client(service: str, region: str, endpoint_url: str | None) -> Any:
    key = (service, region, endpoint_url)
    with _client_lock:
        client = _clients.get(key)
        if client is None:
            from botocore.config import Config

            options: dict[str, Any] = {
                "retries": {"total_max_attempts": 1},
                "max_pool_connections": 16,
            }
            if endpoint_url is None and service != "s3":
                # In process, moto takes the request from botocore's before-send hook and
                # reads the account from MOTO_ACCOUNT_ID, never from the signature: SigV4
                # (an HMAC chain and a canonical request per call) was 15% of each emulated
                # call (issue 23). Validation and serialisation are botocore's as before.
                # S3 stays signed: moto serves an unsigned S3 request as anonymous, which
                # a bucket policy then refuses, as S3 would.
                from botocore import UNSIGNED

                options["signature_version"] = UNSIGNED
            client = _shared_session().client(
                service, region_name=region, endpoint_url=endpoint_url, config=Config(**options)
            )
            _clients[key] = client
    return client


def preload_service_models(services: tuple[str, ...]) -> None:
    """Parse these services' models into the shared session's loader now, before any
    account exists (a worker does it while its parent loads the spec): the clients
    `EmulatedAccount.client` builds later find them parsed."""
    with _client_lock:
        session = _shared_session()
        for service in services:
            session._session.get_service_model(service)


def _drop_clients(endpoint_url: str | None) -> None:
    with _client_lock:
        for key in [k for k in _clients if k[2] == endpoint_url]:
            del _clients[key]


def _reset_moto_backends() -> None:
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
