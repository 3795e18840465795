"""A throwaway public-key infrastructure shaped like IGC-Santé's, made with `cryptography`: a root CA, an
intermediate CA under it (as "AC IGC-SANTE ELEMENTAIRE ORGANISATIONS" is under its root), the server's certificate,
client certificates for an allowed and an unknown subject, and a second, unrelated CA whose client certificate carries
the allowed subject (so that only the issuer tells it apart); the two authorities' revocation lists, the intermediate's
revoking a third certificate of the allowed subject."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

ALLOWED_SUBJECT = "CN=plateforme-sas.test,OU=SAS,O=Agence du Numerique en Sante,C=FR"
UNKNOWN_SUBJECT = "CN=logiciel-inconnu.test,OU=Inconnu,O=Editeur Inconnu,C=FR"


def _name(rfc4514: str) -> x509.Name:
    return x509.Name.from_rfc4514_string(rfc4514)


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def write(self, folder: Path, stem: str, *chain: x509.Certificate) -> tuple[Path, Path]:
        """`<stem>.pem` (this certificate, then `chain`) and `<stem>.key`, as nginx and clients load them."""
        cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
        cert_path.write_bytes(b"".join(pem(c) for c in (self.certificate, *chain)))
        key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
        return cert_path, key_path


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def issue(
    subject: str,
    issuer: Issued | None,
    *,
    ca: bool = False,
    dns: str | None = None,
    client: bool = False,
    days: int = 30,
) -> Issued:
    """A certificate for `subject`, signed by `issuer` (self-signed when None): a CA, a TLS server (`dns`) or a TLS
    client; valid from an hour ago for `days` days (negative: already expired)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.certificate.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1) if days > 0 else now + timedelta(days=2 * days))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
        purpose = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(usage, critical=True).add_extension(
            x509.ExtendedKeyUsage([purpose]), critical=False
        )
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def revocation_list(
    issuer: Issued,
    revoked: tuple[x509.Certificate, ...] = (),
    *,
    hours: int = 24 * 7,
    issued_ago: timedelta | None = None,
) -> x509.CertificateRevocationList:
    """`issuer`'s list revoking these certificates, issued an hour ago (or `issued_ago`; negative: in the future),
    next update in `hours` (negative: expired)."""
    now = datetime.now(UTC)
    if issued_ago is None:
        issued_ago = timedelta(hours=1) if hours > 0 else -timedelta(hours=2 * hours)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now - issued_ago)
        .next_update(now + timedelta(hours=hours))
    )
    for certificate in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.serial_number)
            .revocation_date(now - timedelta(minutes=30))
            .build()
        )
    return builder.sign(issuer.key, hashes.SHA256())


def crl_pem(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.PEM)


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class Pki:
    """The files, under one folder: what nginx loads (server chain and key, client CA bundle), what clients load."""

    server_ca: Path  # what a client trusts to verify the server (the root)
    server_chain: Path  # the server's certificate then the intermediate: nginx's ssl_certificate
    server_key: Path
    client_ca: Path  # the IGC-Santé-like chain: intermediate then root, nginx's ssl_client_certificate
    allowed: tuple[Path, Path]  # (certificate, key) of the allowed subject
    unknown: tuple[Path, Path]  # a verified certificate whose subject is not allowed
    foreign: tuple[Path, Path]  # the allowed subject, issued by another CA
    revoked: tuple[Path, Path]  # the allowed subject, issued by the intermediate, then revoked
    client_crl: Path  # the root's and the intermediate's revocation lists (PEM), nginx's ssl_crl
    root: Issued
    intermediate: Issued
    other_root: Issued
    revoked_certificate: x509.Certificate


def make_pki(folder: Path, host: str) -> Pki:
    root = issue("CN=Racine de test IGC,O=Aiguillage tests,C=FR", None, ca=True, days=3650)
    intermediate = issue("CN=AC de test ORGANISATIONS,O=Aiguillage tests,C=FR", root, ca=True, days=1825)
    other_root = issue("CN=Autre autorite,O=Ailleurs,C=FR", None, ca=True, days=3650)
    server = issue(f"CN={host}", intermediate, dns=host)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "root.pem").write_bytes(pem(root.certificate))
    (folder / "client-ca.pem").write_bytes(pem(intermediate.certificate) + pem(root.certificate))
    server_chain, server_key = server.write(folder, "server", intermediate.certificate)
    revoked = issue(ALLOWED_SUBJECT, intermediate, client=True)
    (folder / "client-crl.pem").write_bytes(
        crl_pem(revocation_list(root)) + crl_pem(revocation_list(intermediate, (revoked.certificate,)))
    )
    return Pki(
        server_ca=folder / "root.pem",
        server_chain=server_chain,
        server_key=server_key,
        client_ca=folder / "client-ca.pem",
        allowed=issue(ALLOWED_SUBJECT, intermediate, client=True).write(folder, "allowed", intermediate.certificate),
        unknown=issue(UNKNOWN_SUBJECT, intermediate, client=True).write(folder, "unknown", intermediate.certificate),
        foreign=issue(ALLOWED_SUBJECT, other_root, client=True).write(folder, "foreign"),
        revoked=revoked.write(folder, "revoked", intermediate.certificate),
        client_crl=folder / "client-crl.pem",
        root=root,
        intermediate=intermediate,
        other_root=other_root,
        revoked_certificate=revoked.certificate,
    )
