"""Class 6: kubeconfigs, tokens and clusters. A kubeconfig that is not one, a token that is
not a bearer token, a missing exec plugin: one line, exit 2, before any request. A server
that accepts and never answers fails within the connect and read timeouts. A job name
that cannot be one is refused before any API call."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from click.testing import CliRunner

from gpuforge.cli.main import cli
from gpuforge.jobs import kube_client
from tests.inputs.conftest import assert_refused, refuse

HEAD = (
    "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
    "clusters: [{name: x, cluster: {server: 'https://127.0.0.1:9'}}]\n"
    "contexts: [{name: x, context: {cluster: x, user: x}}]\n"
)


def user(body: str) -> str:
    return HEAD + "users: [{name: x, user: " + body + "}]\n"


KUBECONFIGS = {
    "garbage YAML": (": : garbage: [", "invalid YAML"),
    "a list": ("- a\n- b\n", "a kubeconfig is a mapping, not a list"),
    "a string": ("just text\n", "a mapping"),
    "empty": ("", "empty"),
    "clusters a mapping": ("clusters: {a: 1}\n", "clusters: expected a list"),
    "a cluster without a name": ("clusters: [{cluster: {}}]\n", "clusters[0]"),
    "users a string": (HEAD + "users: x\n", "users"),
    "an alias": ("a: &x [1]\nb: *x\n", "anchors"),
    "token with LF": (user('{token: "abc\\n"}'), "token"),
    "token with CR/LF": (user('{token: "abc\\r\\n"}'), "token"),
    "token with a space": (user('{token: "abc def"}'), "token"),
    "token with a tab": (user('{token: "abc\\t"}'), "token"),
    "token a number": (user("{token: 12}"), "token"),
    "token empty": (user('{token: ""}'), "token"),
    "token with a colon": (user('{token: "a:b"}'), "token"),
    "missing exec plugin": (
        user(
            "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, "
            "command: gpuforge-no-such-plugin}}"
        ),
        "gpuforge-no-such-plugin",
    ),
    "exec without command": (user("{exec: {apiVersion: x}}"), "exec"),
}


@pytest.mark.parametrize("case", list(KUBECONFIGS))
def test_a_kubeconfig_that_is_not_one(case, project):
    text, needle = KUBECONFIGS[case]
    (project / "kc").write_text(text)
    refuse(["jobs", "-e", "dev", "--kubeconfig", "kc"], needle)


def test_a_missing_plugin_is_not_logged(project, capfd):
    (project / "kc").write_text(KUBECONFIGS["missing exec plugin"][0])
    refuse(["jobs", "-e", "dev", "--kubeconfig", "kc"])
    assert "ERROR:root" not in capfd.readouterr().err


def test_a_failing_exec_plugin_is_one_line(project, capfd):
    (project / "kc").write_text(
        user("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: 'false'}}")
    )
    result = CliRunner().invoke(cli, ["jobs", "-e", "dev", "--kubeconfig", "kc"])
    assert_refused(result.stderr, result.exit_code, "exec plugin failed", code=1)
    assert "ERROR:root" not in capfd.readouterr().err


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_server_that_accepts_and_never_answers(scheme, project, monkeypatch):
    """A local socket that accepts and never answers: the call fails within the timeouts,
    and a silent server is not retried (it would be as silent again)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    port = server.getsockname()[1]
    monkeypatch.setattr(kube_client, "TIMEOUT", (0.5, 0.5))
    (project / "kc").write_text(
        HEAD.replace("https://127.0.0.1:9", f"{scheme}://127.0.0.1:{port}")
        + "users: [{name: x, user: {token: t}}]\n"
    )
    start = time.monotonic()
    result = CliRunner().invoke(cli, ["jobs", "-e", "dev", "--kubeconfig", "kc"])
    elapsed = time.monotonic() - start
    server.close()
    for conn in held:
        conn.close()
    assert_refused(result.stderr, result.exit_code, "no answer in 0.5 s", code=1)
    assert elapsed < 4, elapsed


NAMES = {
    "empty": "",
    "a label selector": "x,app!=y",
    "a set selector": "app in (a,b)",
    "upper case": "Llama",
    "a slash": "a/b",
    "a dot": "a.b",
    "a newline": "a\nb",
    "too long": "a" * 64,
    "a leading digit": "1abc",
    "a space": "a b",
}


@pytest.mark.parametrize("command", ["status", "logs", "cancel"])
@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_a_name_that_cannot_be_a_job(command, name, project, monkeypatch):
    def no_call(*args, **kwargs):
        raise AssertionError("an API call was made")

    monkeypatch.setattr(kube_client, "connect", no_call)
    refuse([command, name, "-e", "dev"], "not a job name")
