"""Throwaway certificates for the TLS tests (the `openssl` command)."""
import subprocess
from pathlib import Path


def make_certificates(directory: Path, name: str, ca: tuple[Path, Path] | None = None) -> tuple[Path, Path, Path]:
    """A CA (unless given) and a certificate for localhost and 127.0.0.1 signed by it: (ca.pem, cert, key)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    if ca is None:
        ca = (directory / "ca.pem", directory / "ca.key")
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=chatd test CA",
            "-keyout", str(ca[1]), "-out", str(ca[0]))
    key, csr, cert = directory / f"{name}.key", directory / f"{name}.csr", directory / f"{name}.pem"
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(csr))
    (directory / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial", "-days", "2",
        "-extfile", str(directory / "san.ext"), "-out", str(cert))
    return ca[0], cert, key
