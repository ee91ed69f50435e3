"""TLS for the emulated Kubernetes API: a CA made at start and a server certificate.

A real cluster serves HTTPS with a certificate its own CA signs, and the kubeconfig
carries that CA as `certificate-authority-data`; clients verify the server with it
and only then send the bearer token (kubectl sends no token to an `http://` server).
`ServerTLS.generate()` does the same for 127.0.0.1: an EC P-256 CA, valid one day, that
signs one server certificate for `127.0.0.1`, `::1` and `localhost`. The keys live in
memory only; `ssl_context()` loads them through a temporary file readable by this user
alone, deleted at once (the `ssl` module loads keys from files only).

The certificate fields follow what Go's crypto/x509 (kubectl) and OpenSSL (the Python
client) check: a CA with basicConstraints CA:TRUE (critical) and keyCertSign; a leaf
with subjectAltName (Go ignores the common name), extendedKeyUsage serverAuth and the
authority key identifier of its CA.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass

VALID_FOR = datetime.timedelta(days=1)
HOSTS = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class ServerTLS:
    """A CA and the server certificate it signed, PEM-encoded."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def generate(cls, common_name: str = "gpuforge-emulated") -> ServerTLS:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.datetime.now(datetime.UTC)
        start, end = now - datetime.timedelta(minutes=5), now + VALID_FOR

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name}-ca")])
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(key_cert_sign=True), critical=True)
            .add_extension(ca_ski, critical=False)
            .sign(ca_key, hashes.SHA256())
        )

        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName(h) for h in HOSTS]
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(key_cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        return cls(
            ca_pem=ca.public_bytes(pem),
            cert_pem=cert.public_bytes(pem),
            key_pem=key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )

    @property
    def ca_data(self) -> str:
        """The CA as a kubeconfig's `certificate-authority-data` (base64 of the PEM)."""
        return base64.b64encode(self.ca_pem).decode("ascii")

    def ssl_context(self) -> ssl.SSLContext:
        """A server-side context serving the certificate (TLS 1.2 or later)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        fd, path = tempfile.mkstemp(prefix="gpuforge-k8s-", suffix=".pem")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.cert_pem + self.key_pem)
            context.load_cert_chain(path)
        finally:
            os.unlink(path)
        return context


def _usage(key_cert_sign: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def write_private(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` readable by this user only (0600) from its first byte.

    The text goes to a new file in the same folder, created 0600 by `mkstemp`
    (O_CREAT|O_EXCL), then renamed over `path`: no moment exists where another user
    could read it, and a rename replaces a link rather than writing through it. A
    symbolic link at `path` is refused (ValueError): the kubeconfig would land
    somewhere else than the user named.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.islink(path):
        raise ValueError(f"{os.fspath(path)} is a symbolic link; name the file itself")
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kubeconfig-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
